// Package tlsca is the emulator's private certificate authority. It creates
// (or reloads) an ECDSA P-256 CA under a data directory, writes its
// certificate to DIR/ca.pem for clients to trust, and issues certificates for
// 127.0.0.1/localhost that the local redis-server processes present, both as
// servers and as clients on replica-to-primary TLS links.
package tlsca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

const (
	caCertFile = "ca.pem"
	caKeyFile  = "ca-key.pem"
	// validity is long enough that a laptop's data dir never sees an expiry.
	validity = 10 * 365 * 24 * time.Hour
)

// CA is a loaded certificate authority.
type CA struct {
	dir     string
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	pool    *x509.CertPool

	mu     sync.Mutex
	issued map[string]ServerCert // by name, so a restart of a node reuses its files
}

// ServerCert names the PEM files of an issued certificate.
type ServerCert struct {
	CertFile string
	KeyFile  string
}

// LoadOrCreate loads the CA from dir (ca.pem, ca-key.pem) or creates a new one
// there when none exists. The folder and every file the CA writes are for
// the user alone (0700, 0600), also when an older version left them open.
func LoadOrCreate(dir string) (*CA, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create CA dir %s: %w", dir, err)
	}
	if err := restrict(dir); err != nil {
		return nil, err
	}
	certPath, keyPath := filepath.Join(dir, caCertFile), filepath.Join(dir, caKeyFile)
	certPEM, certErr := os.ReadFile(certPath)
	keyPEM, keyErr := os.ReadFile(keyPath)
	switch {
	case certErr == nil && keyErr == nil:
		return parseCA(dir, certPEM, keyPEM)
	case errors.Is(certErr, fs.ErrNotExist) || errors.Is(keyErr, fs.ErrNotExist):
		return createCA(dir)
	case certErr != nil:
		return nil, fmt.Errorf("read %s: %w", certPath, certErr)
	default:
		return nil, fmt.Errorf("read %s: %w", keyPath, keyErr)
	}
}

func createCA(dir string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "ecprov local emulator CA", Organization: []string{"ecprov"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("self-sign CA: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal CA key: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	// Key first: a ca.pem without its key would make the next start fail.
	if err := writeFile(filepath.Join(dir, caKeyFile), keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, caCertFile), certPEM, 0o600); err != nil {
		return nil, err
	}
	return parseCA(dir, certPEM, keyPEM)
}

func parseCA(dir string, certPEM, keyPEM []byte) (*CA, error) {
	cb, _ := pem.Decode(certPEM)
	if cb == nil {
		return nil, fmt.Errorf("%s: no PEM certificate", filepath.Join(dir, caCertFile))
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, caCertFile), err)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, fmt.Errorf("%s: no PEM key", filepath.Join(dir, caKeyFile))
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, caKeyFile), err)
	}
	if time.Now().After(cert.NotAfter) {
		return nil, fmt.Errorf("%s expired on %s; delete %s and %s to create a new CA",
			filepath.Join(dir, caCertFile), cert.NotAfter.Format(time.DateOnly), caCertFile, caKeyFile)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{dir: dir, cert: cert, key: key, certPEM: certPEM, pool: pool, issued: map[string]ServerCert{}}, nil
}

// CertFile is the path of the CA certificate (DIR/ca.pem), for
// --tls-ca-cert-file, redis-cli --cacert, or AWS_CA_BUNDLE-style settings.
func (ca *CA) CertFile() string { return filepath.Join(ca.dir, caCertFile) }

// CertPEM returns the CA certificate in PEM form.
func (ca *CA) CertPEM() []byte { return append([]byte(nil), ca.certPEM...) }

// Pool returns a pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool { return ca.pool }

// ClientTLSConfig is what a Go client needs to reach a local TLS redis node:
// it trusts this CA and speaks TLS 1.2 or later. ServerName is left empty so
// that tls.Dial derives it from the address (127.0.0.1), which the node
// certificates cover.
func (ca *CA) ClientTLSConfig() *tls.Config {
	return &tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS12}
}

// IssueServerCert returns a certificate for 127.0.0.1, ::1 and localhost,
// valid for both server and client authentication, written as
// DIR/certs/<name>.pem and DIR/certs/<name>-key.pem. Asking again for the
// same name returns the same files.
func (ca *CA) IssueServerCert(name string) (ServerCert, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if sc, ok := ca.issued[name]; ok {
		return sc, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return ServerCert{}, fmt.Errorf("generate key for %s: %w", name, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: name, Organization: []string{"ecprov"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     ca.cert.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return ServerCert{}, fmt.Errorf("sign certificate for %s: %w", name, err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return ServerCert{}, fmt.Errorf("marshal key for %s: %w", name, err)
	}
	certDir := filepath.Join(ca.dir, "certs")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return ServerCert{}, fmt.Errorf("create %s: %w", certDir, err)
	}
	sc := ServerCert{
		CertFile: filepath.Join(certDir, name+".pem"),
		KeyFile:  filepath.Join(certDir, name+"-key.pem"),
	}
	if err := writeFile(sc.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return ServerCert{}, err
	}
	if err := writeFile(sc.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return ServerCert{}, err
	}
	ca.issued[name] = sc
	return sc, nil
}

// RemoveServerCert deletes the files of the certificate issued for name,
// when its node is gone; a name with no files is no error.
func (ca *CA) RemoveServerCert(name string) error {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	delete(ca.issued, name)
	certDir := filepath.Join(ca.dir, "certs")
	for _, f := range []string{name + ".pem", name + "-key.pem"} {
		if err := os.Remove(filepath.Join(certDir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove certificate of %s: %w", name, err)
		}
	}
	return nil
}

// restrict makes dir, its certs folder and the CA's files private to the
// user.
func restrict(dir string) error {
	paths := map[string]os.FileMode{
		dir:                            0o700,
		filepath.Join(dir, "certs"):    0o700,
		filepath.Join(dir, caCertFile): 0o600,
		filepath.Join(dir, caKeyFile):  0o600,
	}
	for path, mode := range paths {
		if err := os.Chmod(path, mode); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restrict %s: %w", path, err)
		}
	}
	return nil
}

// ServerTLSConfig returns a tls.Config presenting a fresh certificate for
// 127.0.0.1/localhost, for Go servers in the emulator that want TLS.
func (ca *CA) ServerTLSConfig(name string) (*tls.Config, error) {
	sc, err := ca.IssueServerCert(name)
	if err != nil {
		return nil, err
	}
	pair, err := tls.LoadX509KeyPair(sc.CertFile, sc.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load certificate %s: %w", sc.CertFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}

// writeFile writes through a temporary file so a crash never leaves half a PEM.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
