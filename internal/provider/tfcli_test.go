package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/regfish/terraform-provider-regfish/internal/tfdev"
)

// These helpers drive the real terraform binary against a provider binary
// built from this tree, through a dev_overrides CLI configuration — the way
// a user runs it — for the tests that need to kill terraform or to loop
// over applies.

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// providerBinary builds the provider once per test process.
func providerBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "regfish-provider-build-") //nolint:usetesting // shared by every test of the process; TestMain removes it
		if buildErr != nil {
			return
		}
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, "terraform-provider-regfish"), ".")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
}

func terraformBinary(t *testing.T) string {
	t.Helper()
	p, err := tfdev.FindTerraform("")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tfWorkspace is a directory with a configuration and its own CLI config.
type tfWorkspace struct {
	t   *testing.T
	e   *accEnv
	bin string
	dir string
	env []string
	// reattach holds the test providers served for this workspace, by
	// provider address (TF_REATTACH_PROVIDERS)
	reattach map[string]reattachConfig
}

func newWorkspace(t *testing.T, e *accEnv) *tfWorkspace {
	t.Helper()
	pdir := providerBinary(t)
	dir := t.TempDir()
	env, err := tfdev.Workspace(dir, pdir)
	if err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("REGFISH_TEST_TF_LOG_PATH"); p != "" {
		// debugging: terraform's and the provider's log of every run
		env = append(env, "TF_LOG=DEBUG", "TF_LOG_PATH="+p)
	}
	return &tfWorkspace{t: t, e: e, bin: terraformBinary(t), dir: dir, env: env}
}

const requiredProviders = `
terraform {
  required_providers {
    regfish = {
      source = "regfish/regfish"
    }
  }
}
`

func (w *tfWorkspace) write(cfg string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, "main.tf"), []byte(requiredProviders+cfg), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func (w *tfWorkspace) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, w.bin, args...)
	cmd.Dir, cmd.Env = w.dir, w.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// run runs terraform and returns its combined output. The provider's clock
// follows the test's (REGFISH_TEST_CLOCK_OFFSET).
func (w *tfWorkspace) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := w.command(ctx, args...)
	if w.e != nil {
		w.e.mu.Lock()
		cmd.Env = append(cmd.Env, EnvClockOffset+"="+w.e.off.String())
		w.e.mu.Unlock()
	}
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (w *tfWorkspace) apply() (string, error) {
	return w.run("apply", "-auto-approve", "-no-color")
}

// stateIDs returns the id of every resource in the state, by address.
func (w *tfWorkspace) stateIDs() map[string]map[string]any {
	w.t.Helper()
	out, err := w.run("show", "-json", "-no-color")
	if err != nil {
		w.t.Fatalf("terraform show: %v\n%s", err, out)
	}
	var st struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Address string         `json:"address"`
					Values  map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if i := strings.Index(out, "{"); i > 0 {
		out = out[i:]
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		w.t.Fatalf("terraform show -json: %v\n%s", err, out)
	}
	res := map[string]map[string]any{}
	for _, r := range st.Values.RootModule.Resources {
		res[r.Address] = r.Values
	}
	return res
}

// stateOf turns `terraform show -json` values into a terraform.State for
// the check functions.
func stateOf(res map[string]map[string]any) *terraform.State {
	s := &terraform.State{Modules: []*terraform.ModuleState{{Path: []string{"root"}, Resources: map[string]*terraform.ResourceState{}}}}
	for addr, vals := range res {
		attrs := map[string]string{}
		for k, v := range vals {
			if sv, ok := v.(string); ok {
				attrs[k] = sv
			}
		}
		s.RootModule().Resources[addr] = &terraform.ResourceState{Primary: &terraform.InstanceState{ID: attrs["id"], Attributes: attrs}}
	}
	return s
}

// reattachConfig is one provider's entry in TF_REATTACH_PROVIDERS.
type reattachConfig struct {
	Protocol        string
	ProtocolVersion int
	Pid             int
	Test            bool
	Addr            struct{ Network, String string }
}

// serveTestProvider serves p in this test process for the workspace's
// terraform runs, as registry.terraform.io/hashicorp/<name> (through
// TF_REATTACH_PROVIDERS, as terraform-plugin-testing does): a test-only
// stand-in such as testDNSProvider (hashicorp/dns) beside the provider
// binary. Several stand-ins may be served in one workspace: each call adds
// its provider to the one TF_REATTACH_PROVIDERS.
func (w *tfWorkspace) serveTestProvider(name string, p provider.Provider) {
	w.t.Helper()
	addr := "registry.terraform.io/hashicorp/" + name
	ctx, cancel := context.WithCancel(context.Background())
	cfgCh := make(chan *plugin.ReattachConfig, 1)
	closeCh := make(chan struct{})
	go func() {
		_ = tf6server.Serve(addr, providerserver.NewProtocol6(p), tf6server.WithDebug(ctx, cfgCh, closeCh),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()), tf6server.WithoutLogStderrOverride(), tf6server.WithLoggingSink(w.t))
	}()
	var rc *plugin.ReattachConfig
	select {
	case rc = <-cfgCh:
	case <-time.After(30 * time.Second):
		cancel()
		w.t.Fatalf("test provider %s did not start", name)
	}
	w.t.Cleanup(func() {
		cancel()
		select {
		case <-closeCh:
		case <-time.After(10 * time.Second):
		}
	})
	at := reattachConfig{Protocol: string(rc.Protocol), ProtocolVersion: rc.ProtocolVersion, Pid: rc.Pid, Test: true}
	at.Addr.Network, at.Addr.String = rc.Addr.Network(), rc.Addr.String()
	if w.reattach == nil {
		w.reattach = map[string]reattachConfig{}
	}
	w.reattach[addr] = at
	// OpenTofu resolves hashicorp/<name> on its own registry host
	w.reattach["registry.opentofu.org/hashicorp/"+name] = at
	js, err := json.Marshal(w.reattach)
	if err != nil {
		w.t.Fatal(err)
	}
	env := w.env[:0:0]
	for _, kv := range w.env {
		if !strings.HasPrefix(kv, "TF_REATTACH_PROVIDERS=") {
			env = append(env, kv)
		}
	}
	w.env = append(env, "TF_REATTACH_PROVIDERS="+string(js))
}
