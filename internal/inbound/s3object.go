package inbound

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3GetObjectAPI is the one call of the S3 client the relay makes.
type S3GetObjectAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// S3Objects reads inbound mails that an SES S3 action stored.
type S3Objects struct {
	Client S3GetObjectAPI
}

var _ ObjectGetter = S3Objects{}

// GetObject implements ObjectGetter.
func (o S3Objects) GetObject(ctx context.Context, bucket, key string, max int64) ([]byte, error) {
	out, err := o.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("%w: s3 get object: %v", ErrUpstream, err)
	}
	defer out.Body.Close()
	if out.ContentLength != nil && *out.ContentLength > max {
		return nil, fmt.Errorf("%w: stored mail is %d bytes", ErrTooLarge, *out.ContentLength)
	}
	b, err := io.ReadAll(io.LimitReader(out.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("%w: s3 read object: %v", ErrUpstream, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: stored mail over %d bytes", ErrTooLarge, max)
	}
	return b, nil
}
