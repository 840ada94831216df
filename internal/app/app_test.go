package app

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Every directory under functions/ is a Lambda Build knows, and no other.
func TestFunctionsAreTheDirectoriesUnderFunctions(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("..", "..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, d := range dirs {
		if d.IsDir() {
			want = append(want, d.Name())
		}
	}
	var got []string
	for _, f := range Functions() {
		got = append(got, f.Name)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("functions %v, directories %v", got, want)
	}
}

func TestBuildRefusesAnUnknownFunction(t *testing.T) {
	if _, err := Build(context.Background(), "webhook"); err == nil {
		t.Fatal("an unknown function was built")
	}
}

// A cold start without its configuration fails with the variable's name
// rather than serving with half a configuration.
func TestBuildWithoutConfigurationNamesWhatIsMissing(t *testing.T) {
	for _, k := range []string{"TABLE_NAME", "RELAY_LOCAL_KEY", "KMS_KEY_ID"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_REGION", "us-east-1")
	_, err := Solve().Build(context.Background())
	if err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Fatalf("err = %v, want one naming TABLE_NAME", err)
	}
}
