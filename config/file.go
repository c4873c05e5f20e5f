package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// loadFile reads path and layers it over c. c.Apps becomes the apps the
// file lists, each starting from DefaultApp (nil when it lists none).
func loadFile(c *Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return ConfigError{Key: "--config", Problem: err.Error()} // "config: --config: open …"
	}
	return decodeFile(c, data)
}

// decodeFile layers the YAML document data over c.
func decodeFile(c *Config, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return syntaxError(err)
	}
	if len(doc.Content) == 0 {
		return nil // empty file: nothing to layer
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return ConfigError{Problem: fmt.Sprintf("line %d: the document must be a mapping of keys", root.Line)}
	}
	// Strict pass: unknown keys and type errors, with line numbers.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return translate(err, root)
	}
	// Apps pass: each listed app starts from DefaultApp, not from zero.
	// A file without apps leaves none; Load then builds the single app.
	c.Apps = nil
	if n := child(root, "apps"); n != nil && n.Kind == yaml.SequenceNode {
		c.Apps = make([]App, len(n.Content))
		for i, item := range n.Content {
			c.Apps[i] = DefaultApp()
			if err := item.Decode(&c.Apps[i]); err != nil {
				return translate(err, root)
			}
		}
	}
	return nil
}

// child returns the value node of key in mapping m, or nil.
func child(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
