// Package config loads and validates the accesswatch YAML configuration: strict keys,
// ${VAR} expansion from the environment, defaults, and errors that name the key and line.
// It holds no behaviour beyond loading, validating and describing the plan.
package config
