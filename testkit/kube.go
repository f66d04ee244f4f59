package testkit

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"go/build"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Versions of the Kubernetes API server the tests run against; .ci/kube
// builds exactly these.
const (
	KubeVersion = "v1.37.2"
	EtcdVersion = "v3.6.16"
)

// KubeAssetsEnv names the environment variable holding the folder with the
// kube-apiserver and etcd binaries (what `bash .ci/kube` prints).
const KubeAssetsEnv = "NEXUS_KUBE_ASSETS"

// Kube is a real Kubernetes API server (kube-apiserver backed by etcd) on
// loopback, with no kubelet, scheduler or controller-manager: objects are
// stored and validated, RBAC is enforced, but no pod ever runs and a deleted
// namespace stays Terminating. Tests isolate themselves with Namespace.
type Kube struct {
	// Config is an admin's (group system:masters): it may do anything.
	Config *rest.Config
	// Client is a clientset for Config.
	Client kubernetes.Interface
	// URL is the API server's https address; CAFile its serving
	// certificate, the one CA a client must trust.
	URL    string
	CAFile string
	// Dir holds etcd's data, the certificates and both servers' logs.
	Dir string

	etcd, apiserver *exec.Cmd
}

var (
	kubeOnce   sync.Once
	sharedKube *Kube
	kubeErr    error
	kubeMiss   error // binaries absent: Missing rather than a failure
)

// KubeAssets returns the folder holding kube-apiserver and etcd: $NEXUS_KUBE_ASSETS,
// else $KUBEBUILDER_ASSETS (envtest's), else where .ci/kube caches them,
// $(go env GOPATH)/kube/<KubeVersion>+etcd-<EtcdVersion>.
func KubeAssets() (string, error) {
	dir := os.Getenv(KubeAssetsEnv)
	if dir == "" {
		dir = os.Getenv("KUBEBUILDER_ASSETS")
	}
	if dir == "" {
		gopath := strings.Split(build.Default.GOPATH, string(os.PathListSeparator))[0]
		dir = filepath.Join(gopath, "kube", KubeVersion+"+etcd-"+EtcdVersion)
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return "", fmt.Errorf("%s not in %s: build both with `bash .ci/kube` (≈ 6 minutes once) and export %s=<the folder it prints>", bin, dir, KubeAssetsEnv)
		}
	}
	return dir, nil
}

// StartKube returns the API server of this test binary, starting it on
// first use (a few seconds; each test gets its isolation from Namespace).
// Without the binaries the Kubernetes API server is Missing.
//
// One server is shared by every test of the binary, because starting one
// per test would cost seconds each; it is stopped by StopKube (from
// TestMain) or, failing that, killed with the test binary (Linux parent
// death signal), and its folder is removed by the next start.
func StartKube(t testing.TB) *Kube {
	t.Helper()
	kubeOnce.Do(func() {
		dir, err := KubeAssets()
		if err != nil {
			kubeMiss = err
			return
		}
		sharedKube, kubeErr = startKube(dir)
	})
	if kubeMiss != nil {
		Missing(t, "Kubernetes API server: %v", kubeMiss)
	}
	if kubeErr != nil {
		t.Fatalf("start throwaway Kubernetes API server: %v", kubeErr)
	}
	return sharedKube
}

// StopKube stops the shared API server, if one was started, and removes its
// folder. Call it after m.Run in TestMain; StartKube afterwards fails.
func StopKube() {
	if sharedKube != nil {
		sharedKube.stop()
		kubeErr = errors.New("StopKube was called")
		sharedKube = nil
	}
}

const kubeDirPrefix = "nexus-onboard-kube-"

func startKube(assets string) (*Kube, error) {
	sweepKubeDirs()
	dir, err := os.MkdirTemp("", kubeDirPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, err
	}
	k := &Kube{Dir: dir}
	ok := false
	defer func() {
		if !ok {
			k.stop()
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	clientURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	k.etcd, err = startDaemon(dir, "etcd", filepath.Join(assets, "etcd"),
		"--data-dir", filepath.Join(dir, "etcd"),
		"--unsafe-no-fsync",
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "default="+peerURL,
		"--log-level", "warn")
	if err != nil {
		return nil, err
	}

	token := randomHex(16)
	keyFile := filepath.Join(dir, "sa.key")
	if err := writeRSAKey(keyFile); err != nil {
		return nil, err
	}
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(token+",admin,admin,system:masters\n"), 0o600); err != nil {
		return nil, err
	}
	certDir := filepath.Join(dir, "certs")
	k.apiserver, err = startDaemon(dir, "kube-apiserver", filepath.Join(assets, "kube-apiserver"),
		"--etcd-servers", clientURL,
		"--cert-dir", certDir,
		"--secure-port", strconv.Itoa(ports[2]),
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
		"--endpoint-reconciler-type", "none",
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", keyFile,
		"--service-account-signing-key-file", keyFile,
		"--token-auth-file", tokens,
		"--authorization-mode", "RBAC",
		"--service-cluster-ip-range", "10.0.0.0/24",
		"--disable-admission-plugins", "ServiceAccount")
	if err != nil {
		return nil, err
	}
	k.URL = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	k.CAFile = filepath.Join(certDir, "apiserver.crt")
	if err := k.waitReady(token, 2*time.Minute); err != nil {
		return nil, err
	}
	k.Config = &rest.Config{
		Host:            k.URL,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: k.CAFile},
		// The default 5 requests a second would make tests wait on the client.
		QPS: 1000, Burst: 1000,
	}
	if k.Client, err = kubernetes.NewForConfig(k.Config); err != nil {
		return nil, err
	}
	ok = true
	return k, nil
}

// startDaemon starts one server, its output in DIR/NAME.log, killed if the
// test binary dies first.
func startDaemon(dir, name, bin string, args ...string) (*exec.Cmd, error) {
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = daemonAttr()
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { cmd.Wait(); log.Close() }()
	return cmd, nil
}

// waitReady polls /readyz until it answers "ok", or a server exits, or
// timeout passes.
func (k *Kube) waitReady(token string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		for _, c := range []*exec.Cmd{k.etcd, k.apiserver} {
			if c.ProcessState != nil || (c.Process != nil && c.Process.Signal(syscall.Signal(0)) != nil) {
				return fmt.Errorf("%s exited before /readyz said ok:\n%s", filepath.Base(c.Path), k.logTail(filepath.Base(c.Path)))
			}
		}
		if body, err := k.readyz(token); err == nil && body == "ok" {
			return nil
		} else if err != nil {
			last = err.Error()
		} else {
			last = body
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver not ready after %s (last: %s):\n%s", timeout, last, k.logTail("kube-apiserver"))
}

func (k *Kube) readyz(token string) (string, error) {
	pemCA, err := os.ReadFile(k.CAFile)
	if err != nil {
		return "", err // the server has not written its certificate yet
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemCA)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer c.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, k.URL+"/readyz", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("%d %s", resp.StatusCode, bytes.TrimSpace(body)), nil
	}
	return string(bytes.TrimSpace(body)), nil
}

func (k *Kube) logTail(name string) string {
	b, _ := os.ReadFile(filepath.Join(k.Dir, name+".log"))
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

func (k *Kube) stop() {
	for _, c := range []*exec.Cmd{k.apiserver, k.etcd} {
		if c == nil || c.Process == nil {
			continue
		}
		c.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() {
			for c.Process.Signal(syscall.Signal(0)) == nil {
				time.Sleep(50 * time.Millisecond)
			}
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			c.Process.Kill()
		}
	}
	os.RemoveAll(k.Dir)
}

// sweepKubeDirs removes the folders of earlier test binaries that died
// without StopKube (their servers died with them).
func sweepKubeDirs() {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), kubeDirPrefix+"*"))
	for _, d := range old {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(d), kubeDirPrefix), "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}

// Namespace creates a fresh namespace for the test and returns its name.
// It is not deleted: without a controller-manager it would stay Terminating.
func (k *Kube) Namespace(t testing.TB) string {
	t.Helper()
	ns := "t-" + randomHex(6)
	_, err := k.Client.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"nexus-onboard.io/test": sanitizeLabel(t.Name())}}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace %s: %v", ns, err)
	}
	return ns
}

// ServiceAccountToken creates the service account ns/name unless it exists
// and returns a token for it from the TokenRequest API, valid for an hour.
// What it may do is what RoleBindings grant it: nothing, at first.
func (k *Kube) ServiceAccountToken(t testing.TB, ns, name string) string {
	t.Helper()
	ctx := context.Background()
	_, err := k.Client.CoreV1().ServiceAccounts(ns).Create(ctx,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create service account %s/%s: %v", ns, name, err)
	}
	hour := int64(3600)
	tr, err := k.Client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &hour}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for service account %s/%s: %v", ns, name, err)
	}
	return tr.Status.Token
}

// ConfigFor returns a client configuration that authenticates with token
// (a service account's, from ServiceAccountToken) instead of as the admin.
func (k *Kube) ConfigFor(token string) *rest.Config {
	c := rest.CopyConfig(k.Config)
	c.BearerToken = token
	return c
}

// Kubeconfig writes a kubeconfig file for the admin, context namespace
// "default", as a user's ~/.kube/config would be.
func (k *Kube) Kubeconfig(path string) error {
	return k.WriteKubeconfig(path, k.Config.BearerToken, "")
}

// WriteKubeconfig writes a kubeconfig file whose one context (current)
// authenticates with token and, unless namespace is empty, names namespace.
func (k *Kube) WriteKubeconfig(path, token, namespace string) error {
	ca, err := os.ReadFile(k.CAFile)
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["test"] = &clientcmdapi.Cluster{Server: k.URL, CertificateAuthorityData: ca}
	cfg.AuthInfos["test"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test", Namespace: namespace}
	cfg.CurrentContext = "test"
	return clientcmd.WriteToFile(*cfg, path)
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func writeRSAKey(path string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	der := x509.MarshalPKCS1PrivateKey(key)
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der}), 0o600)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// sanitizeLabel makes a test name a valid label value (63 characters of
// [A-Za-z0-9._-], alphanumeric at both ends).
func sanitizeLabel(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	s = string(b)
	if len(s) > 63 {
		s = s[:63]
	}
	return strings.Trim(s, "._-")
}
