package config

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
)

// readSecretFiles replaces each *_file setting of c by the content of
// the file it names: apps[].secret_file, apps[].auth.jwt.secret_file,
// redis.password_file, redis.sentinel.password_file and
// app_store.postgres_file. Giving both a value and its file is an error, as
// is an unreadable or empty file.
func readSecretFiles(c *Config) error {
	for i := range c.Apps {
		a := &c.Apps[i]
		p := fmt.Sprintf("apps[%d]", i)
		if err := fromFile(&a.Secret, a.SecretFile, p+".secret"); err != nil {
			return err
		}
		if err := fromFile(&a.Auth.JWT.Secret, a.Auth.JWT.SecretFile, p+".auth.jwt.secret"); err != nil {
			return err
		}
	}
	if err := fromFile(&c.AppStore.Postgres, c.AppStore.PostgresFile, "app_store.postgres"); err != nil {
		return err
	}
	if err := fromFile(&c.Redis.Sentinel.Password, c.Redis.Sentinel.PasswordFile, "redis.sentinel.password"); err != nil {
		return err
	}
	return fromFile(&c.Redis.Password, c.Redis.PasswordFile, "redis.password")
}

// fromFile sets *v from file (key names the setting; key+"_file" the
// file's); an empty file name leaves *v alone.
func fromFile(v *string, file, key string) error {
	if file == "" {
		return nil
	}
	if *v != "" {
		return ConfigError{Key: key + "_file", Problem: "give " + key + " or " + key + "_file, not both"}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return ConfigError{Key: key + "_file", Problem: err.Error()}
	}
	s := strings.TrimRight(string(data), "\r\n")
	if strings.TrimSpace(s) == "" {
		return ConfigError{Key: key + "_file", Problem: fmt.Sprintf("%s is empty", file)}
	}
	*v = s
	return nil
}

// AppSecretVariable is the environment variable that sets the secret of
// the app with this id whatever the file says: FANOUT_APP_<ID>_SECRET,
// the id upper-cased with every byte other than a letter or digit turned
// into "_" (app "chat-eu" reads FANOUT_APP_CHAT_EU_SECRET).
func AppSecretVariable(id string) string {
	b := []byte(strings.ToUpper(id))
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return "FANOUT_APP_" + string(b) + "_SECRET"
}

// appSecretVariables returns the FANOUT_APP_<ID>_SECRET names of apps,
// refusing two ids that map to one name.
func appSecretVariables(apps []App) ([]string, error) {
	names := make([]string, len(apps))
	for i, a := range apps {
		names[i] = AppSecretVariable(a.ID)
		if j := slices.Index(names[:i], names[i]); j >= 0 && apps[j].ID != a.ID { // the same id twice: Validate says so
			return nil, ConfigError{Key: fmt.Sprintf("apps[%d].id", i),
				Problem: fmt.Sprintf("%q and apps[%d].id %q both read %s; rename one", a.ID, j, apps[j].ID, names[i])}
		}
	}
	return names, nil
}

// DialURL is URL with Password, when given, as its password. With
// Sentinel and no URL, it starts from "redis://".
func (r Redis) DialURL() string {
	base := r.URL
	if base == "" && r.Sentinel.Enabled() {
		base = "redis://"
	}
	if r.Password == "" {
		return base
	}
	u, err := url.Parse(base)
	if err != nil {
		return base // Validate reports it
	}
	name := ""
	if u.User != nil {
		name = u.User.Username()
	}
	u.User = url.UserPassword(name, r.Password)
	return u.String()
}
