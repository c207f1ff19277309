package session

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/winfleet/winfleet/playbook"
	"github.com/winfleet/winfleet/remote"
)

func TestClassify(t *testing.T) {
	quota := &remote.Error{Kind: remote.ErrFault, Err: &remote.FaultError{Code: remote.CodeShellQuota}}
	other := &remote.Error{Kind: remote.ErrFault, Err: &remote.FaultError{Code: remote.CodeAccessDenied}}
	tests := []struct {
		name       string
		err        error
		wantStatus playbook.Status
		wantCode   playbook.Code
	}{
		{"auth", &remote.Error{Kind: remote.ErrAuth}, playbook.StatusAuthFailed, playbook.CodeAuthFailed},
		{"unreachable", &remote.Error{Kind: remote.ErrUnreachable}, playbook.StatusUnreachable, playbook.CodeUnreachable},
		{"timeout", &remote.Error{Kind: remote.ErrTimeout}, playbook.StatusTimeout, playbook.CodeTimeout},
		{"tls", &remote.Error{Kind: remote.ErrTLS}, playbook.StatusError, playbook.CodeTLS},
		{"quota fault", quota, playbook.StatusError, playbook.CodeQuota},
		{"other fault", other, playbook.StatusError, playbook.CodeFault},
		{"protocol", &remote.Error{Kind: remote.ErrProtocol}, playbook.StatusError, playbook.CodeProtocol},
		{"insecure", &remote.Error{Kind: remote.ErrInsecure}, playbook.StatusError, playbook.CodeInsecureRefused},
		{"config", &remote.Error{Kind: remote.ErrConfig}, playbook.StatusError, playbook.CodeConfig},
		{"output too large", &remote.Error{Kind: remote.ErrOutputTooLarge, Err: &remote.OutputTooLargeError{Limit: 10}}, playbook.StatusError, playbook.CodeOutputTooLarge},
		{"wrapped", fmt.Errorf("create shell: %w", &remote.Error{Kind: remote.ErrAuth}), playbook.StatusAuthFailed, playbook.CodeAuthFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Classify(tt.err)
			var te *playbook.TransportError
			if !errors.As(err, &te) || te.Status != tt.wantStatus || te.Code != tt.wantCode {
				t.Fatalf("Classify(%v) = %#v, want status %s code %s", tt.err, err, tt.wantStatus, tt.wantCode)
			}
			var re *remote.Error
			if !errors.As(err, &re) || !errors.Is(err, re.Kind) {
				t.Errorf("Classify(%v) lost the remote error", tt.err)
			}
		})
	}
	for _, err := range []error{nil, context.Canceled, errors.New("other")} {
		if got := Classify(err); got != err {
			t.Errorf("Classify(%v) = %v, want it unchanged", err, got)
		}
	}
}
