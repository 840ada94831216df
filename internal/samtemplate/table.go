package samtemplate

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// CreateTableInput is the CreateTable request for the table as the
// template declares it, under the given name (CloudFormation names the
// table in AWS; the local stack chooses one). TTL, point-in-time recovery
// and encryption are separate calls in the DynamoDB API and are left to the
// caller: dynalite implements none of them.
func (t Table) CreateTableInput(name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{TableName: aws.String(name)}
	for _, a := range t.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.Name),
			AttributeType: types.ScalarAttributeType(a.Type),
		})
	}
	for _, k := range t.KeySchema {
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{
			AttributeName: aws.String(k.Name),
			KeyType:       types.KeyType(k.KeyType),
		})
	}
	if t.BillingMode != "" {
		in.BillingMode = types.BillingMode(t.BillingMode)
	}
	if in.BillingMode == types.BillingModeProvisioned {
		// The template does not say; dynalite and DynamoDB both need a value.
		in.ProvisionedThroughput = &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)}
	}
	return in
}
