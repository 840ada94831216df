// Package asl is a local interpreter of the Amazon States Language
// (https://states-language.net), the runner of the relay's local stack: it
// runs statemachine/*.asl.json with no AWS account, and answers the Step
// Functions calls the Lambda functions make (served over HTTP by sfnlocal).
//
// Parse validates a definition and refuses, naming it, anything the runner
// does not implement, so that a definition never half-runs locally:
//
//	asl: state "M": Map ProcessorConfig Mode "DISTRIBUTED" is not supported by the local runner
//
// Supported (JSONPath query language), as Step Functions runs it where it
// and the specification differ:
//   - states: Task, Pass, Wait, Choice, Succeed, Fail, Parallel, and Map in
//     INLINE mode (ItemsPath, ItemSelector or Parameters with
//     $$.Map.Item.Index/Value, ItemProcessor or Iterator, MaxConcurrency(Path));
//   - Task resources: a Lambda function ARN (the output is the function's),
//     arn:aws:states:::lambda:invoke (the result is the Invoke response,
//     the output under "Payload"; a Payload that is a JSON string is sent as
//     that JSON, a null or absent one as {}) and its .waitForTaskToken form,
//     which passes $$.Task.Token and waits for SendTaskSuccess/Failure;
//     TimeoutSeconds(Path) (default: no timeout, as in AWS; the
//     specification's 60 s default is not applied); a task timeout is
//     States.Timeout with no cause;
//   - Wait: Seconds, SecondsPath, Timestamp, TimestampPath, at most
//     2^31-1 s ("Wait state delay is too long");
//   - Choice: every comparison operator and its ...Path form, StringMatches,
//     IsNull, IsPresent, IsNumeric, IsString, IsBoolean, IsTimestamp, And,
//     Or, Not, Default, States.NoChoiceMatched;
//   - Fail: Error, Cause, ErrorPath, CausePath (paths or intrinsics);
//   - InputPath, Parameters (".$" fields, "$$." Context Object paths,
//     nested objects and arrays), ResultSelector, ResultPath (null too),
//     OutputPath, the Context Object in InputPath and OutputPath too;
//     Reference Paths with the specification's escapes; other Paths through
//     ojg's JSONPath, their matches gathered into an array ([] when a
//     wildcard, slice or filter matches nothing);
//   - variables: Assign (Pass, Task, Map, Parallel, Wait, Choice and its
//     top-level rules, Catch) and "$name" references wherever a Path reads
//     data, with the scoping and limits described in vars.go;
//   - every intrinsic function of Appendix B (States.Format, StringToJson,
//     JsonToString, Array, ArrayPartition, ArrayContains, ArrayRange,
//     ArrayGetItem, ArrayLength, ArrayUnique, Base64Encode, Base64Decode,
//     Hash, JsonMerge, MathRandom, MathAdd, StringSplit, UUID), with AWS's
//     readings: Format writes objects and arrays as {k=v, k2=[1, 2]},
//     StringToJson of a blank string is null, MathAdd and MathRandom round
//     fractions half up;
//   - Retry (ErrorEquals, IntervalSeconds, MaxAttempts including 0,
//     BackoffRate, MaxDelaySeconds, JitterStrategy FULL and NONE) and Catch
//     (ErrorEquals, Next, ResultPath, Assign) with the Error Output
//     {Error, Cause}; States.ALL (not States.Runtime), States.TaskFailed
//     (not States.Timeout), States.Timeout;
//   - the 256 KiB payload quota: a task result over it is
//     States.DataLimitExceeded (caught like any task error), a state output
//     over it fails the execution (no Retry or Catch applies);
//   - States.Runtime causes worded as AWS words them: "An error occurred
//     while executing the state 'X' (entered at the event id #N). …";
//     a missing Lambda function's cause as Lambda's ResourceNotFoundException;
//   - the machine's TimeoutSeconds (status TIMED_OUT, with no error and no
//     cause);
//   - the Context Object: Execution.Id/Name/Input/StartTime/RoleArn,
//     State.Name/EnteredTime (RetryCount in Task, Parallel and Map only),
//     StateMachine.Id/Name, Task.Token.
//
// Refused by name: heartbeats (HeartbeatSeconds, HeartbeatSecondsPath; the
// relay sends none, and no recording of AWS holds them to its behaviour;
// sfnlocal has no SendTaskHeartbeat), distributed Map (Mode DISTRIBUTED, ItemReader,
// ItemBatcher, ResultWriter, ToleratedFailure*, Label), QueryLanguage JSONata (and its Arguments,
// Output, Condition), Credentials, any Task resource
// other than the Lambda ones above (activities, .sync, other services),
// lambda:invoke with InvocationType other than RequestResponse or unknown
// parameters, JitterStrategy values other than FULL and NONE.
//
// A Lambda function's error becomes the state's error the way Step
// Functions reports it for Go functions (see ErrorName): the Go type name,
// an ErrorType() method, or the Type of a messages.InvokeResponse_Error value; the
// Cause is the {"errorMessage", "errorType"} document.
//
// The Runner runs each execution in its own goroutine. Its TimeScale
// multiplies every duration the definition asks for (Wait, TimeoutSeconds,
// retry intervals). It counts state transitions the way
// Step Functions bills them: one per state entered and one per retry.
package asl
