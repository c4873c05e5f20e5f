package protocol

import (
	"errors"
	"fmt"
	"testing"
)

func TestReconnect(t *testing.T) {
	tests := []struct {
		code ErrorCode
		want Reconnect
	}{
		{CodeNull, ReconnectNone},
		{3999, ReconnectNone},
		{CodeUnknownApp, ReconnectNever},
		{CodeUnauthorized, ReconnectNever},
		{4099, ReconnectNever},
		{CodeOverCapacity, ReconnectBackoff},
		{4199, ReconnectBackoff},
		{CodeGoingAway, ReconnectImmediate},
		{CodePongTimeout, ReconnectImmediate},
		{CodeInactive, ReconnectImmediate},
		{CodeInvalidMessage, ReconnectNone},
		{CodeUnknownEvent, ReconnectNone},
	}
	for _, tt := range tests {
		if got := tt.code.Reconnect(); got != tt.want {
			t.Errorf("%d.Reconnect() = %d, want %d", tt.code, got, tt.want)
		}
	}
}

func TestCodeText(t *testing.T) {
	if s := CodeNull.String(); s != "null" {
		t.Errorf("CodeNull.String() = %q", s)
	}
	if s := string(AppendCode(nil, CodeNull)); s != "null" {
		t.Errorf("AppendCode(CodeNull) = %q", s)
	}
	if s := string(AppendCode(nil, CodePongTimeout)); s != "4201" {
		t.Errorf("AppendCode(4201) = %q", s)
	}
	if CodeNull.Pusher() || !CodeUnknownApp.Pusher() || !CodeUnknownEvent.Pusher() {
		t.Error("Pusher() range wrong")
	}
}

func TestErrorAs(t *testing.T) {
	_, err := DecodeInbound([]byte("nope"))
	var pe Error
	if !errors.As(fmt.Errorf("wrapped: %w", err), &pe) || pe.Code != CodeInvalidMessage || pe.Message == "" {
		t.Fatalf("errors.As(%v) = %+v", err, pe)
	}
	if got := pe.Error(); got != "pusher:error 4300: "+pe.Message {
		t.Errorf("Error() = %q", got)
	}
}
