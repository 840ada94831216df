// Package dynalitetest gives tests a real DynamoDB wire protocol: one
// dynalite process per test binary, and a fresh table per test.
package dynalitetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkpoint-relay/checkpoint-relay/internal/dynalite"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

var (
	once     sync.Once
	shared   *dynalite.Server
	startErr error
)

// Start returns the endpoint of the test binary's dynalite, starting it on
// first use. The process dies with the test binary (see dynalite). A
// missing dynalite fails the test: the store's tests are the proof that the
// conditional writes hold, and skipping them would hide that.
func Start(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		shared, startErr = dynalite.Start(context.Background())
	})
	if startErr != nil {
		t.Fatalf("dynalite: %v (run npm install in the repository root)", startErr)
	}
	return shared.Endpoint
}

// Client returns a DynamoDB client for endpoint with dummy credentials.
func Client(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// NewTable creates a uniquely named table with the relay's schema and
// returns its name; tables are not deleted (dynalite is in memory).
func NewTable(t testing.TB, client *dynamodb.Client) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "relay-test-" + hex.EncodeToString(b)
	if err := store.CreateTable(context.Background(), client, name); err != nil {
		t.Fatalf("create table: %v", err)
	}
	return name
}

// Store starts dynalite if needed and returns a store on a fresh table.
func Store(t testing.TB) *store.Store {
	t.Helper()
	c := Client(Start(t))
	return store.New(c, NewTable(t, c))
}
