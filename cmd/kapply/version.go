package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
	"k8s.io/client-go/discovery"

	"github.com/kapply-dev/kapply/dynamicx"
)

// version is set by the Makefile with -ldflags "-X main.version=...".
var version = ""

// clientVersion is the -X version, else the module version `go install`
// recorded, else "dev".
func clientVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

type versionInfo struct {
	Client      string `json:"clientVersion"`
	GoVersion   string `json:"goVersion"`
	Server      string `json:"serverVersion,omitempty"`
	ServerError string `json:"serverError,omitempty"`
}

func versionCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the client version and, when a cluster is reachable, the server version",
		Flags: append(connectionFlags(),
			&cli.BoolFlag{Name: "client", Usage: "print the client version only"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "output format: text or json", Value: "text"},
		),
		Action: func(c *cli.Context) error {
			out := c.String("output")
			if out != "text" && out != "json" {
				return withCode(exitUsage, fmt.Errorf("--output must be text or json, got %q", out))
			}
			info := versionInfo{Client: clientVersion(), GoVersion: runtime.Version()}
			if !c.Bool("client") {
				sv, err := serverVersion(configOptions(c))
				if err != nil {
					info.ServerError = err.Error()
				} else {
					info.Server = sv
				}
			}
			if out == "json" {
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			fmt.Fprintf(s.out, "Client Version: %s (%s)\n", info.Client, info.GoVersion)
			if info.Server != "" {
				fmt.Fprintf(s.out, "Server Version: %s\n", info.Server)
			}
			if info.ServerError != "" {
				fmt.Fprintf(s.err, "warning: no server version: %s\n", info.ServerError)
			}
			return nil
		},
	}
}

func serverVersion(opts dynamicx.ConfigOptions) (string, error) {
	cfg, err := dynamicx.LoadConfig(opts)
	if err != nil {
		return "", err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg.REST)
	if err != nil {
		return "", err
	}
	v, err := dc.ServerVersion()
	if err != nil {
		return "", err
	}
	return v.GitVersion, nil
}
