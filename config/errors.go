package config

import "strings"

// ConfigError is a bad setting: Key names it (a YAML path such as
// "apps[1].auth.mode", possibly followed by the flag or variable it came
// from) and Problem says what is wrong. Error() is one line.
type ConfigError struct {
	Key     string
	Problem string
}

func (e ConfigError) Error() string {
	p := strings.ReplaceAll(e.Problem, "\n", "; ")
	if e.Key == "" {
		return "config: " + p
	}
	return "config: " + e.Key + ": " + p
}
