// Package target describes the authorization server under test: its
// config file, its discovery, and the clients the checks use.
package target

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/login"
	"go.yaml.in/yaml/v3"
)

// The client roles of the config file (DESIGN.md, "The config file").
const (
	RoleConfidential  = "confidential"
	RoleConfidential2 = "confidential2"
	RolePublic        = "public"
	RolePublic2       = "public2"
	RoleDevice        = "device"
	RoleDevice2       = "device2"
	// RoleSpecial is an optional confidential client whose secret holds
	// reserved characters, for CLIENTAUTH-BASIC-FORM-ENCODING.
	RoleSpecial = "special"
)

// Roles lists every client role, in the order the config file shows them.
var Roles = []string{RoleConfidential, RoleConfidential2, RolePublic, RolePublic2, RoleDevice, RoleDevice2, RoleSpecial}

// Profiles are the requirement profiles a run can take.
var Profiles = []string{"oauth2", "bcp", "oauth2.1"}

// Client is one client of the target, as the config file names it.
type Client struct {
	ID         string `yaml:"id"`
	Secret     string `yaml:"secret,omitempty"`
	AuthMethod string `yaml:"auth_method,omitempty"`
}

// User is the test resource owner.
type User struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// Config is the oauthcheck config file: what a target needs beyond
// discovery.
type Config struct {
	Issuer      string             `yaml:"issuer"`
	Profile     string             `yaml:"profile,omitempty"`
	RedirectURI string             `yaml:"redirect_uri,omitempty"`
	Clients     map[string]*Client `yaml:"clients,omitempty"`
	User        *User              `yaml:"user,omitempty"`
	Login       string             `yaml:"login,omitempty"`
	Scope       string             `yaml:"scope,omitempty"`
	ExtraScope  string             `yaml:"extra_scope,omitempty"`
	Oracle      string             `yaml:"oracle,omitempty"`
	// CAFile names a PEM file of extra roots for a lab server's TLS.
	CAFile string `yaml:"ca_file,omitempty"`
	// CodeLifetime is how long the server's authorization codes live, when
	// known. AUTHCODE-EXPIRY waits that long plus a margin; unknown, it
	// waits the RFC 6749 §4.1.2 maximum of 10 minutes, and only with --slow.
	CodeLifetime time.Duration `yaml:"code_lifetime,omitempty"`
	// RefreshLifetime is how long an unused refresh token lives, when
	// known; REFRESH-LIFECYCLE probes idle expiry with it.
	RefreshLifetime time.Duration `yaml:"refresh_lifetime,omitempty"`
	// SettleTime is how long the server takes to spread a revocation
	// through its cluster; checks wait it between a revoking step and the
	// probe that follows. Default 0.
	SettleTime time.Duration `yaml:"settle_time,omitempty"`
	// AccessTokens states what the server claims of its access tokens:
	// "rfc9068" when it claims the JWT profile of RFC 9068, so that
	// JWTAT-TYP and JWTAT-REQUIRED-CLAIMS hold it to that profile; empty
	// when it claims nothing (the checks then only observe). No metadata
	// member carries that claim.
	AccessTokens string `yaml:"access_tokens,omitempty"`
	// AllowedHosts are hosts besides the issuer's site (its host and its
	// registrable domain) to which the checks may send client
	// credentials, the password and tokens: an endpoint on any other host
	// has its checks skipped.
	AllowedHosts []string `yaml:"allowed_hosts,omitempty"`
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// LoadConfig reads a config file. ${VAR} in any value is replaced by the
// environment variable VAR; an unset variable is an error that names it.
func LoadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("target: read config: %w", err)
	}
	c, err := ParseConfig(raw, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	// A login script and a CA file are named relative to the config file.
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("target: config path: %w", err)
	}
	if c.Login != "" && c.Login != "auto" && !strings.HasPrefix(c.Login, "builtin:") && !filepath.IsAbs(c.Login) {
		c.Login = filepath.Join(dir, c.Login)
	}
	if c.CAFile != "" && !filepath.IsAbs(c.CAFile) {
		c.CAFile = filepath.Join(dir, c.CAFile)
	}
	if _, err := login.Load(c.Login); err != nil {
		return nil, fmt.Errorf("target: config login: %w", err)
	}
	return c, nil
}

// ParseConfig parses a config file's bytes. ${VAR} in a value is replaced
// by lookup(VAR) after parsing, so a secret may hold any character.
func ParseConfig(raw []byte, lookup func(string) (string, bool)) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("target: parse config: %w", err)
	}
	var missing, broken []string
	expand := func(v *string, field string) {
		// A "${" that starts no ${NAME} would reach the server as it is.
		if strings.Contains(envRef.ReplaceAllString(*v, ""), "${") {
			broken = append(broken, field)
		}
		*v = envRef.ReplaceAllStringFunc(*v, func(m string) string {
			name := envRef.FindStringSubmatch(m)[1]
			val, ok := lookup(name)
			if !ok {
				missing = append(missing, name)
			}
			return val
		})
	}
	for field, v := range map[string]*string{"issuer": &c.Issuer, "redirect_uri": &c.RedirectURI, "login": &c.Login,
		"scope": &c.Scope, "extra_scope": &c.ExtraScope, "oracle": &c.Oracle, "ca_file": &c.CAFile} {
		expand(v, field)
	}
	for role, cl := range c.Clients {
		if cl != nil {
			expand(&cl.ID, "clients."+role+".id")
			expand(&cl.Secret, "clients."+role+".secret")
		}
	}
	if c.User != nil {
		expand(&c.User.Username, "user.username")
		expand(&c.User.Password, "user.password")
	}
	if len(broken) > 0 {
		sort.Strings(broken)
		return nil, fmt.Errorf("target: config values with a ${ that is no ${VAR} reference: %s; write ${NAME} with a name of letters, digits and _, or export a value that holds ${ and name it", strings.Join(broken, ", "))
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		missing = slices.Compact(missing)
		return nil, fmt.Errorf("target: config names unset environment variables %s; export them or write the values in the file", strings.Join(missing, ", "))
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) validate() error {
	if c.Profile != "" {
		ok := false
		for _, p := range Profiles {
			ok = ok || p == c.Profile
		}
		if !ok {
			return fmt.Errorf("target: config profile %q is not one of %s", c.Profile, strings.Join(Profiles, ", "))
		}
	}
	for role, cl := range c.Clients {
		known := false
		for _, r := range Roles {
			known = known || r == role
		}
		if !known {
			return fmt.Errorf("target: config names client role %q; valid roles: %s", role, strings.Join(Roles, ", "))
		}
		if cl == nil || cl.ID == "" {
			return fmt.Errorf("target: config client %q has no id", role)
		}
		switch cl.AuthMethod {
		case "", "client_secret_basic", "client_secret_post", "none":
		default:
			return fmt.Errorf("target: config client %q: auth_method %q is not one of client_secret_basic, client_secret_post, none", role, cl.AuthMethod)
		}
	}
	switch {
	case c.Oracle == "", c.Oracle == "introspection", c.Oracle == "userinfo":
	case strings.HasPrefix(c.Oracle, "https://"), strings.HasPrefix(c.Oracle, "http://"):
	default:
		return fmt.Errorf("target: config oracle %q is not introspection, userinfo or a protected resource's URL", c.Oracle)
	}
	if c.AccessTokens != "" && c.AccessTokens != "rfc9068" {
		return fmt.Errorf("target: config access_tokens %q: the only claim it takes is rfc9068", c.AccessTokens)
	}
	if strings.HasPrefix(c.Login, "builtin:") {
		if _, err := login.Load(c.Login); err != nil {
			return fmt.Errorf("target: config login: %w", err)
		}
	}
	return nil
}

// Marshal writes the config in the file format, clients in role order.
func (c *Config) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	node := &yaml.Node{}
	if err := node.Encode(c); err != nil {
		return nil, fmt.Errorf("target: encode config: %w", err)
	}
	orderClients(node)
	if err := enc.Encode(node); err != nil {
		return nil, fmt.Errorf("target: encode config: %w", err)
	}
	return buf.Bytes(), nil
}

// orderClients puts the entries of the clients mapping in [Roles] order,
// and roles not in Roles after them, sorted; the encoder sorts map keys
// alphabetically.
func orderClients(node *yaml.Node) {
	if node.Kind != yaml.MappingNode {
		return
	}
	rank := func(role string) int {
		if i := slices.Index(Roles, role); i >= 0 {
			return i
		}
		return len(Roles)
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		m := node.Content[i+1]
		if node.Content[i].Value != "clients" || m.Kind != yaml.MappingNode {
			continue
		}
		var pairs [][2]*yaml.Node
		for j := 0; j+1 < len(m.Content); j += 2 {
			pairs = append(pairs, [2]*yaml.Node{m.Content[j], m.Content[j+1]})
		}
		slices.SortStableFunc(pairs, func(a, b [2]*yaml.Node) int {
			return cmp.Or(cmp.Compare(rank(a[0].Value), rank(b[0].Value)), strings.Compare(a[0].Value, b[0].Value))
		})
		m.Content = m.Content[:0]
		for _, p := range pairs {
			m.Content = append(m.Content, p[0], p[1])
		}
	}
}
