// Package deploy holds no code: it is the home of the deployment files (Dockerfile, compose
// stack, Kubernetes manifests, systemd units, example configs) and of the tests that parse them
// and check that image names, ports, commands, config keys and environment names agree with
// each other and with the code (internal/config, cmd/accesswatch/cli).
package deploy
