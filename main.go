// Command terraform-provider-regfish is the Terraform and OpenTofu provider
// for the regfish TLS and DNS API.
package main

import (
	"flag"
	"log"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/regfish/terraform-provider-regfish/internal/provider"
)

// version is set by goreleaser (-X main.version=...).
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	for k, v := range quietSDKLogs(os.Environ()) {
		_ = os.Setenv(k, v)
	}
	// as providerserver.Serve does, with the server that lets go of each
	// call's context when the call returns (internal/provider/rpc_context.go)
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	err := tf6server.Serve("registry.terraform.io/regfish/regfish", provider.NewProtocol6Server(provider.New(version)()), opts...)
	if err != nil {
		log.Fatal(err.Error())
	}
}

// quietSDKLogs returns the environment to add so that the plugin SDK's own
// trace logging (framework and protocol: dozens of lines per resource and
// call) is switched off when no log is asked for at all: no TF_LOG* variable
// is set, so Terraform and OpenTofu discard every line a provider writes.
// Formatting and sending those lines costs about a third of the CPU of a
// plan over many certificates (a no-change plan of 200: 4.4 s with them,
// 2.8 s without). With any TF_LOG* variable set nothing changes: TF_LOG=TRACE
// shows the SDK's lines as before, and the provider's own lines are never
// affected.
func quietSDKLogs(environ []string) map[string]string {
	for _, kv := range environ {
		if strings.HasPrefix(kv, "TF_LOG") {
			return nil
		}
	}
	return map[string]string{"TF_LOG_SDK_FRAMEWORK": "off", "TF_LOG_SDK_PROTO": "off"}
}
