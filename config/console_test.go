package config

import (
	"strings"
	"testing"
)

// TestConsoleSettings: the console's credential from the file, the
// environment and flags; bad combinations name their key; the password
// never leaves Masked.
func TestConsoleSettings(t *testing.T) {
	c, err := Load("", []string{"FANOUT_CONSOLE_PASSWORD=from-env"}, nil)
	if err != nil || c.Console.Password != "from-env" || !c.Console.Enabled() {
		t.Fatalf("env: %+v %v", c.Console, err)
	}
	c, err = Load("", nil, []string{"--console-password-file", "/run/secrets/console"})
	if err != nil || c.Console.PasswordFile != "/run/secrets/console" {
		t.Fatalf("flag: %+v %v", c.Console, err)
	}
	if out := string(Default().Masked().YAML()); !strings.Contains(out, "console:") {
		t.Fatalf("the console section is not printed:\n%s", out)
	}
	c.Console.Password = "hunter2"
	c.Console.PasswordFile = ""
	if out := string(c.Masked().YAML()); strings.Contains(out, "hunter2") {
		t.Fatalf("console password printed:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--console-password", "a", "--console-password-file", "/f"}, "console.password_file: give console.password or console.password_file, not both"},
		{[]string{"--console-password", "a", "--metrics-addr", ""}, "console.password: the console is served on server.metrics_addr, which is empty"},
	} {
		_, err := Load("", nil, tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}
