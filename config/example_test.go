package config_test

import (
	"fmt"

	"github.com/fanout/fanout/config"
)

func ExampleLoad() {
	env := []string{"FANOUT_LOG_LEVEL=debug", "FANOUT_ADDR=127.0.0.1:7000"}
	args := []string{"--addr", "127.0.0.1:8000", "--auth-mode", "required"}
	c, err := config.Load("", env, args)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Server.Addr, c.Server.LogLevel, c.Apps[0].Auth.Mode, c.UsesDevCredentials())

	_, err = config.Load("", nil, []string{"--auth-mode", "maybe"})
	fmt.Println(err)
	// Output:
	// 127.0.0.1:8000 debug required true
	// config: apps[0].auth.mode: "maybe" is not one of required, optional, off
}

func ExampleConfig_Masked() {
	c := config.Default()
	c.Redis.URL = "redis://fanout:hunter2@127.0.0.1:6379/0"
	c.Apps[0].Webhooks.URL = "https://hooks:pw@example.com/fanout"
	c.Apps[0].Auth.JWT.JWKSURL = "https://token123@keys.example.com/jwks.json"
	m := c.Masked()
	fmt.Println(m.Apps[0].Secret, m.Redis.URL)
	fmt.Println(m.Apps[0].Webhooks.URL, m.Apps[0].Auth.JWT.JWKSURL)
	fmt.Println(c.Apps[0].Secret) // the original is untouched
	// Output:
	// **** redis://fanout:****@127.0.0.1:6379/0
	// https://hooks:****@example.com/fanout https://****@keys.example.com/jwks.json
	// app-secret
}
