package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/config"
)

// token mints a JWT for an app: fanout token --app app-id --sub USER.
func token(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fanout token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file holding the app (default: the built-in development app)")
	appID := fs.String("app", "", "app id (default: the config's only app; without --config the development app app-id)")
	secret := fs.String("secret", "", "HMAC secret (default: the app's jwt secret, else its secret)")
	sub := fs.String("sub", "", "user id (the sub claim); required")
	channels := fs.String("channels", "", "comma-separated channel patterns granted without HMAC auth, e.g. private-user.42.*,presence-room-*")
	ttl := fs.Duration("ttl", time.Hour, "lifetime")
	alg := fs.String("alg", "HS256", "HS256, HS384 or HS512 with a secret; with --key RS256/384/512, ES256/384/512 or EdDSA (default: the key's own)")
	iss := fs.String("iss", "", "issuer claim")
	aud := fs.String("aud", "", "audience claim")
	keyFile := fs.String("key", "", "PEM private key for RS*/ES*/EdDSA (instead of the HMAC secret)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *sub == "" {
		fmt.Fprintln(stderr, "fanout token: --sub is required")
		return 2
	}
	if *ttl <= 0 {
		fmt.Fprintln(stderr, "fanout token: --ttl must be positive (a token that is already expired is refused by every node)")
		return 2
	}
	o := auth.MintOptions{Algorithm: *alg, Subject: *sub, TTL: *ttl, Issuer: *iss, Audience: *aud, Now: time.Now()}
	for _, pattern := range strings.Split(*channels, ",") {
		if pattern = strings.TrimSpace(pattern); pattern != "" {
			o.Channels = append(o.Channels, pattern)
		}
	}
	var tok string
	var err error
	if *keyFile != "" {
		pem, rerr := os.ReadFile(*keyFile)
		if rerr != nil {
			fmt.Fprintln(stderr, "fanout token:", rerr)
			return 2
		}
		o.Algorithm = "" // the key's own algorithm, unless --alg names one
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "alg" {
				o.Algorithm = *alg
			}
		})
		tok, err = auth.MintWithKey(pem, o)
	} else {
		key := *secret
		if key == "" {
			if key, err = appSecret(*cfgPath, *appID); err != nil {
				fmt.Fprintln(stderr, "fanout token:", err)
				return 2
			}
		}
		tok, err = auth.Mint(key, o)
	}
	if err != nil {
		fmt.Fprintln(stderr, "fanout token:", err)
		return 2
	}
	fmt.Fprintln(stdout, tok)
	return 0
}

// appSecret is the JWT key of app id in the configuration at path (as
// `fanout serve --config path` would load it, from this environment,
// with the app store's apps);
// an empty id means the configuration's only app.
func appSecret(path, id string) (string, error) {
	cfg, err := config.Load(path, os.Environ(), nil)
	if err != nil {
		return "", err
	}
	if cfg, err = newAppSource(cfg).merge(cfg); err != nil {
		return "", err
	}
	if id == "" {
		if len(cfg.Apps) != 1 {
			ids := make([]string, len(cfg.Apps))
			for i, a := range cfg.Apps {
				ids[i] = a.ID
			}
			return "", fmt.Errorf("the configuration lists %d apps (%s): name one with --app", len(ids), strings.Join(ids, ", "))
		}
		id = cfg.Apps[0].ID
	}
	for _, a := range cfg.Apps {
		if a.ID == id {
			if a.Auth.JWT.Secret != "" {
				return a.Auth.JWT.Secret, nil
			}
			return a.Secret, nil
		}
	}
	return "", fmt.Errorf("no app %q in the configuration", id)
}
