package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// problem is a ConfigError without its key yet; the caller adds it.
func problem(format string, args ...any) error {
	return ConfigError{Problem: fmt.Sprintf(format, args...)}
}

// withKey sets the key of a ConfigError made by problem.
func withKey(err error, key string) error {
	var ce ConfigError
	if errors.As(err, &ce) {
		ce.Key = key
		return ce
	}
	return ConfigError{Key: key, Problem: err.Error()}
}

// flagValue records a flag's raw value; Load applies it after the file
// and the environment, so flags win.
type flagValue struct {
	isBool bool
	value  string
}

func (f *flagValue) String() string     { return f.value }
func (f *flagValue) Set(v string) error { f.value = v; return nil }
func (f *flagValue) IsBoolFlag() bool   { return f.isBool }

// parsed is the outcome of the command line.
type parsed struct {
	config      string
	configSet   bool
	printConfig bool
	values      map[string]string // flag name -> raw value, only flags given
}

// newFlagSet builds the FlagSet of `fanout serve`, writing usage to w.
func newFlagSet(w io.Writer) (*flag.FlagSet, map[string]*flagValue, *string, *bool) {
	fs := flag.NewFlagSet("fanout serve", flag.ContinueOnError)
	fs.SetOutput(w)
	vals := map[string]*flagValue{}
	for _, s := range settings() {
		v := &flagValue{isBool: s.isBool}
		vals[s.flag] = v
		fs.Var(v, s.flag, s.usage)
	}
	cfgFile := fs.String("config", "", "YAML config file (env FANOUT_CONFIG)")
	printCfg := fs.Bool("print-config", false, "print the effective config, secrets masked, and exit")
	return fs, vals, cfgFile, printCfg
}

// PrintUsage writes the flags of `fanout serve` and their defaults to w.
func PrintUsage(w io.Writer) {
	fs, _, _, _ := newFlagSet(w)
	fmt.Fprintln(w, "Usage: fanout serve [flags]  (each setting flag also reads FANOUT_<FLAG_NAME>; --print-config does not)")
	fs.PrintDefaults()
}

func parseArgs(args []string) (parsed, error) {
	fs, vals, cfgFile, printCfg := newFlagSet(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return parsed{}, err
		}
		return parsed{}, ConfigError{Key: "flags", Problem: err.Error()}
	}
	if fs.NArg() > 0 {
		return parsed{}, ConfigError{Key: "flags", Problem: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	p := parsed{config: *cfgFile, printConfig: *printCfg, values: map[string]string{}}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "config" {
			p.configSet = true
		} else if v, ok := vals[f.Name]; ok {
			p.values[f.Name] = v.value
		}
	})
	return p, nil
}

// Load builds the Config of `fanout serve`: Default, then the file named
// by --config (or FANOUT_CONFIG) with its ${VAR} references expanded
// from env and its *_file secrets read, then FANOUT_* variables from env
// (in os.Environ form, "KEY=value"), then flags from args (without the
// program or subcommand name). It returns a ConfigError for any bad
// setting, and flag.ErrHelp for -h or --help (call PrintUsage).
func Load(path string, env []string, args []string) (Config, error) {
	p, err := parseArgs(args)
	if err != nil {
		return Config{}, err
	}
	envs := envMap(env, "FANOUT_")
	switch {
	case p.configSet:
		path = p.config
	case envs["FANOUT_CONFIG"] != "":
		path = envs["FANOUT_CONFIG"]
	}
	c := Default()
	fileApps := 0
	var known []string // FANOUT_APP_<ID>_SECRET and the file's ${FANOUT_...}
	if path != "" {
		all := envMap(env, "")
		lookup := func(k string) (string, bool) { v, ok := all[k]; return v, ok }
		if known, err = loadFile(&c, path, lookup); err != nil {
			return Config{}, err
		}
		c.File = path
		fileApps = len(c.Apps)
	}
	if len(c.Apps) == 0 && !c.AppStore.Enabled() {
		c.Apps = []App{devApp()}
	}
	appVars, err := appSecretVariables(c.Apps)
	if err != nil {
		return Config{}, err
	}
	if c.IgnoredVariables, err = checkVariables(envs, append(known, appVars...)); err != nil {
		return Config{}, err
	}
	if err := readSecretFiles(&c); err != nil {
		return Config{}, err
	}
	for _, s := range settings() {
		if v, ok := envs[envName(s.flag)]; ok {
			if err := apply(&c, s, v, envName(s.flag), fileApps); err != nil {
				return Config{}, err
			}
		}
	}
	for i, name := range appVars {
		if v, ok := envs[name]; ok {
			c.Apps[i].Secret = v
		}
	}
	for _, s := range settings() {
		if v, ok := p.values[s.flag]; ok {
			if err := apply(&c, s, v, "--"+s.flag, fileApps); err != nil {
				return Config{}, err
			}
		}
	}
	c.PrintConfig = p.printConfig
	return c, c.Validate()
}

// apply sets one setting from source (a flag or a variable name).
// fileApps is how many apps the config file lists: the single app's
// settings are refused when it lists any, except the secret when it
// lists exactly one (that app's secret is then replaced).
func apply(c *Config, s setting, v, source string, fileApps int) error {
	key := s.key + " (" + source + ")"
	if s.isApp && len(c.Apps) == 0 {
		return ConfigError{Key: key, Problem: "the apps come from app_store; set them there"}
	}
	if s.isApp && fileApps > 0 {
		switch {
		case s.flag == "app-secret" && fileApps == 1:
		case s.flag == "app-secret":
			return ConfigError{Key: key, Problem: fmt.Sprintf("the config file lists %d apps: set an app's secret with FANOUT_APP_<ID>_SECRET, e.g. %s", fileApps, AppSecretVariable(c.Apps[0].ID))}
		default:
			return ConfigError{Key: key, Problem: "only applies when the config file lists no apps; set it in the file"}
		}
	}
	if err := s.set(c, v); err != nil {
		return withKey(err, key)
	}
	return nil
}

// envMap keeps the variables of env whose names start with prefix; the
// last one wins.
func envMap(env []string, prefix string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, prefix) {
			m[k] = v
		}
	}
	return m
}
