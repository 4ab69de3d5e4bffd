package tlsca_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/ecprov/ecprov/emulator/tlsca"
)

func TestIssueAndVerify(t *testing.T) {
	dir := t.TempDir()
	ca, err := tlsca.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ca.pem")); err != nil {
		t.Fatalf("ca.pem not written: %v", err)
	}
	sc, err := ca.IssueServerCert("node-001")
	if err != nil {
		t.Fatal(err)
	}
	again, err := ca.IssueServerCert("node-001")
	if err != nil || again != sc {
		t.Fatalf("second issue for the same name = %+v, %v; want the same files", again, err)
	}
	raw, err := os.ReadFile(sc.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "127.0.0.1", KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			t.Fatalf("verify for 127.0.0.1 (usage %v): %v", usage, err)
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "example.com"}); err == nil {
		t.Fatal("certificate verified for example.com")
	}

	// Reloading keeps the CA: certificates issued before still verify.
	reloaded, err := tlsca.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: reloaded.Pool(), DNSName: "localhost"}); err != nil {
		t.Fatalf("verify against the reloaded CA: %v", err)
	}
}

func TestTLSHandshake(t *testing.T) {
	ca, err := tlsca.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srvConf, err := ca.ServerTLSConfig("server")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvConf)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_, _ = c.Write([]byte("ok"))
		c.Close()
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), ca.ClientTLSConfig())
	if err != nil {
		t.Fatalf("handshake with ClientTLSConfig: %v", err)
	}
	defer c.Close()
	if v := c.ConnectionState().Version; v < tls.VersionTLS12 {
		t.Fatalf("TLS version %x", v)
	}
	if _, _, err := net.SplitHostPort(ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
}

// TestPrivateFilesAndRemoval: the CA's folder and files are the user's
// alone, also when an older version left them open, and a node's
// certificate goes when asked.
func TestPrivateFilesAndRemoval(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	if _, err := tlsca.LoadOrCreate(dir); err != nil {
		t.Fatal(err)
	}
	// As an older version left them.
	for path, mode := range map[string]os.FileMode{dir: 0o755, filepath.Join(dir, "ca.pem"): 0o644} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	ca, err := tlsca.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ca.IssueServerCert("node-001")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{
		dir:                              0o700,
		filepath.Join(dir, "ca.pem"):     0o600,
		filepath.Join(dir, "ca-key.pem"): 0o600,
		filepath.Join(dir, "certs"):      0o700,
		sc.CertFile:                      0o600,
		sc.KeyFile:                       0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Error(err)
		} else if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
	if err := ca.RemoveServerCert("node-001"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{sc.CertFile, sc.KeyFile} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s after RemoveServerCert: %v, want it gone", f, err)
		}
	}
	if err := ca.RemoveServerCert("never-issued"); err != nil {
		t.Errorf("removing a certificate never issued: %v", err)
	}
	again, err := ca.IssueServerCert("node-001")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(again.CertFile); err != nil {
		t.Errorf("issuing again after removal: %v", err)
	}
}
