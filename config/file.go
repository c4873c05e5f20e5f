package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// loadFile reads path and layers it over c, expanding ${VAR} references
// with lookup; it returns the names of the variables referenced. c.Apps
// becomes the apps the file lists, each starting from DefaultApp (nil
// when it lists none).
func loadFile(c *Config, path string, lookup Lookup) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, ConfigError{Key: "--config", Problem: err.Error()} // "config: --config: open …"
	}
	var refs []string
	return refs, decode(c, data, lookup, path, &refs)
}

// decodeFile layers the YAML document data over c, with no environment
// variables set.
func decodeFile(c *Config, data []byte) error {
	var refs []string
	return decode(c, data, func(string) (string, bool) { return "", false }, "the config file", &refs)
}

// decode layers the YAML document data, read from file, over c.
func decode(c *Config, data []byte, lookup Lookup, file string, refs *[]string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return syntaxError(file, err)
	}
	if len(doc.Content) == 0 {
		return nil // empty file: nothing to layer
	}
	root := doc.Content[0]
	if changed, err := expandVars(root, lookup, file, refs); err != nil {
		return err
	} else if changed {
		// The strict pass below reads text: give it the expanded document.
		if data, err = yaml.Marshal(&doc); err != nil {
			return ConfigError{Key: file, Problem: "cannot re-encode after expanding ${...}: " + err.Error()}
		}
		doc = yaml.Node{}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return syntaxError(file, err)
		}
		root = doc.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return ConfigError{Problem: fmt.Sprintf("line %d: the document must be a mapping of keys", root.Line)}
	}
	// Strict pass: unknown keys and type errors, with line numbers.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return translate(err, root, file)
	}
	// Apps pass: each listed app starts from DefaultApp, not from zero.
	// A file without apps leaves none; Load then builds the single app.
	c.Apps = nil
	if n := child(root, "apps"); n != nil && n.Kind == yaml.SequenceNode {
		c.Apps = make([]App, len(n.Content))
		for i, item := range n.Content {
			c.Apps[i] = DefaultApp()
			if err := item.Decode(&c.Apps[i]); err != nil {
				return translate(err, root, file)
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
