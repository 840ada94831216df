package asl

import (
	"context"
	"sync/atomic"
	"testing"
)

// The JSONPath Map State example of the specification: "ship-val" runs once
// per element of "shipped", and the results replace "detail.shipped".
const shipInput = `{
  "ship-date": "2016-03-14T01:59:00Z",
  "detail": {
    "delivery-partner": "UQS",
    "shipped": [
      { "prod": "R31", "dest-code": 9511, "quantity": 1344 },
      { "prod": "S39", "dest-code": 9511, "quantity": 40 },
      { "prod": "R31", "dest-code": 9833, "quantity": 12 },
      { "prod": "R40", "dest-code": 9860, "quantity": 887 },
      { "prod": "R40", "dest-code": 9511, "quantity": 1220 }
    ]
  }
}`

func shipVal() *Functions {
	fns := NewFunctions()
	fns.Register("ship-val", jsonFn(func(in any) (any, error) {
		m := in.(map[string]any)
		if parcel, ok := m["parcel"].(map[string]any); ok {
			return map[string]any{"prod": parcel["prod"], "courier": m["courier"], "valid": true}, nil
		}
		return map[string]any{"prod": m["prod"], "valid": m["quantity"].(float64) < 1000}, nil
	}))
	return fns
}

func TestSpecMapState(t *testing.T) {
	df := def("Validate-All", `
	  "Validate-All": {
	    "Type": "Map",
	    "InputPath": "$.detail",
	    "ItemsPath": "$.shipped",
	    "MaxConcurrency": 0,
	    "ItemProcessor": {
	      "StartAt": "Validate",
	      "States": {
	        "Validate": {
	          "Type": "Task",
	          "Resource": "arn:aws:lambda:us-east-1:123456789012:function:ship-val",
	          "End": true
	        }
	      }
	    },
	    "ResultPath": "$.detail.shipped",
	    "End": true
	  }`)
	d := runMachine(t, shipVal(), df, shipInput)
	// "the output being the same as the input, with the "detail.shipped"
	// field being overwritten by an array" of the function's outputs.
	assertSucceeded(t, d, `{"ship-date": "2016-03-14T01:59:00Z", "detail": {"delivery-partner": "UQS", "shipped": [
	  {"prod": "R31", "valid": false}, {"prod": "S39", "valid": true}, {"prod": "R31", "valid": true},
	  {"prod": "R40", "valid": true}, {"prod": "R40", "valid": false}]}}`)
}

// The ItemSelector variant. The specification writes "$.Map.Item.Value";
// the item is in the Context Object, "$$.Map.Item.Value", as in AWS.
func TestSpecMapItemSelector(t *testing.T) {
	df := def("Validate-All", `
	  "Validate-All": {
	    "Type": "Map",
	    "InputPath": "$.detail",
	    "ItemsPath": "$.shipped",
	    "MaxConcurrency": 2,
	    "ItemSelector": {
	      "parcel.$": "$$.Map.Item.Value",
	      "courier.$": "$.delivery-partner",
	      "index.$": "$$.Map.Item.Index"
	    },
	    "Iterator": {
	      "StartAt": "Validate",
	      "States": {
	        "Validate": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:ship-val", "End": true}
	      }
	    },
	    "ResultSelector": {"count.$": "States.ArrayLength($)", "first.$": "$[0]"},
	    "End": true
	  }`)
	d := runMachine(t, shipVal(), df, shipInput)
	assertSucceeded(t, d, `{"count": 5, "first": {"prod": "R31", "courier": "UQS", "valid": true}}`)
}

func TestMapMaxConcurrencyIsHonoured(t *testing.T) {
	var running, peak atomic.Int64
	release := make(chan struct{})
	fns := NewFunctions()
	fns.Register("slow", func(context.Context, []byte) ([]byte, error) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		running.Add(-1)
		return []byte(`1`), nil
	})
	df := def("M", `"M": {"Type": "Map", "MaxConcurrency": 2, "End": true,
	  "ItemProcessor": {"StartAt": "S", "States": {"S": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:slow", "End": true}}}}`)
	r := newTestRunner(t, fns)
	if err := r.RegisterStateMachine(testMachineARN, []byte(df)); err != nil {
		t.Fatal(err)
	}
	arn, _, _ := r.StartExecution(testMachineARN, "", `[1, 2, 3, 4, 5, 6]`)
	for range 6 {
		release <- struct{}{}
	}
	assertSucceeded(t, waitFor(t, r, arn), `[1, 1, 1, 1, 1, 1]`)
	if p := peak.Load(); p > 2 {
		t.Errorf("%d iterations ran at once, MaxConcurrency is 2", p)
	}
}

func TestMapIterationFailure(t *testing.T) {
	df := def("M", `"M": {"Type": "Map", "Next": "S",
	  "ItemProcessor": {"StartAt": "C", "States": {
	    "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 3, "Next": "F"}], "Default": "OK"},
	    "F": {"Type": "Fail", "Error": "BadItem", "Cause": "three"},
	    "OK": {"Type": "Succeed"}}},
	  "Catch": [{"ErrorEquals": ["BadItem"], "ResultPath": "$.error", "Next": "Caught"}]},
	  "S": {"Type": "Succeed"},
	  "Caught": {"Type": "Pass", "OutputPath": "$.error", "End": true}`)
	d := runMachine(t, nil, df, `{"items": [1, 2, 3]}`)
	// The items are the whole input here, which is not an array.
	assertFailed(t, d, ErrNameRuntime)

	df2 := def("M", `"M": {"Type": "Map", "ItemsPath": "$.items", "Next": "S",
	  "ItemProcessor": {"StartAt": "C", "States": {
	    "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 3, "Next": "F"}], "Default": "OK"},
	    "F": {"Type": "Fail", "Error": "BadItem", "Cause": "three"},
	    "OK": {"Type": "Succeed"}}},
	  "Catch": [{"ErrorEquals": ["BadItem"], "ResultPath": "$.error", "Next": "Caught"}]},
	  "S": {"Type": "Succeed"},
	  "Caught": {"Type": "Pass", "OutputPath": "$.error", "End": true}`)
	assertSucceeded(t, runMachine(t, nil, df2, `{"items": [1, 2, 3]}`), `{"Error": "BadItem", "Cause": "three"}`)
	assertSucceeded(t, runMachine(t, nil, df2, `{"items": [1, 2]}`), `[1, 2]`)
}

func TestMapEmptyItems(t *testing.T) {
	df := def("M", `"M": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.out", "End": true,
	  "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}`)
	assertSucceeded(t, runMachine(t, nil, df, `{"items": []}`), `{"items": [], "out": []}`)
}
