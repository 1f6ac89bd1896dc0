package provider

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// The module-testing example (examples/module-testing) run the way the
// guide "Testing your modules against the regfish simulator" tells users to:
// the regfish-sim command on a free port, the provider pointed at it through
// REGFISH_BASE_URL and REGFISH_API_KEY, and `terraform test`. So the guide's
// recipe and the example cannot rot.
func TestAccExamples_ModuleTesting(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: needs TF_ACC=1 and a terraform binary (TF_ACC_TERRAFORM_PATH)")
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	example := filepath.Join(root, "examples", "module-testing")

	w := newWorkspace(t, nil)
	copyDir(t, example, w.dir)

	// the simulator, as a user starts it
	bin := filepath.Join(t.TempDir(), "regfish-sim")
	build := exec.Command("go", "build", "-o", bin, "./internal/cmd/regfish-sim")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build regfish-sim: %v\n%s", err, out)
	}
	key := randomKey(t)
	addrFile := filepath.Join(t.TempDir(), "addr")
	var simLog bytes.Buffer
	sim := exec.Command(bin, "-listen", "127.0.0.1:0", "-addr-file", addrFile, "-api-key", key, "-quiet")
	sim.Stdout, sim.Stderr = &simLog, &simLog
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Process.Kill(); _ = sim.Wait() })
	var baseURL string
	for deadline := time.Now().Add(30 * time.Second); baseURL == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(addrFile); err == nil && strings.HasSuffix(string(b), "\n") {
			baseURL = strings.TrimSpace(string(b))
		}
	}
	if baseURL == "" {
		t.Fatalf("regfish-sim did not start:\n%s", simLog.String())
	}

	w.env = append(w.env, EnvBaseURL+"="+baseURL, EnvAPIKey+"="+key)
	out, err := w.run("test", "-no-color")
	runs := len(regexp.MustCompile(`(?m)^run "`).FindAllString(w.readFile(filepath.Join("tests", "certificate.tftest.hcl")), -1))
	if err != nil || !strings.Contains(out, "Success! "+strconv.Itoa(runs)+" passed, 0 failed.") {
		t.Fatalf("terraform test of examples/module-testing (%d runs): %v\n%s", runs, err, out)
	}

	// it ran against the simulator: the order is there
	cl, err := regfish.New(regfish.Config{BaseURL: baseURL, APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	certs, err := cl.ListCertificates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 1 || certs[0].CommonName != "www.example.com" || certs[0].Status != regfish.StatusIssued {
		t.Fatalf("the simulator holds %+v, want the one issued certificate for www.example.com", certs)
	}
}

// copyDir copies the files of src into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func randomKey(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "sim-" + hex.EncodeToString(b)
}
