package redact

// Deciding whether a key name says "secret": PGPASSWORD, db.password,
// AWS_SECRET_ACCESS_KEY, clientSecret, x-api-key, _authToken are; PWD is a
// password only when its value is not a path; max_tokens, token_type,
// password_file, public_key, AccessKeyId are not.

type nameClass uint8

const (
	ncNone nameClass = iota
	ncWeak           // the value must also look random
	ncStrong
	ncSig // a signature: a secret only as a URL query parameter
)

var strongKeyQualifiers = []string{
	"api", "secret", "private", "access", "account", "master", "encryption", "encrypt",
	"crypt", "crypto", "license", "licence", "subscription", "auth", "app", "application",
	"shared", "client", "session", "hmac", "jwt", "cookie", "cipher", "aes", "storage",
	"service", "admin", "write", "ingest", "deploy", "consumer", "webhook", "root", "otp",
	"totp", "recovery", "server", "master", "decryption", "decrypt", "integration",
}

// isDenyKeyQualifier: KEY names that are not secrets (public_key, cache_key).
func isDenyKeyQualifier(c []byte) bool {
	switch string(c) {
	case "public", "pub", "primary", "foreign", "sort", "partition", "hash", "cache",
		"idempotency", "object", "row", "map", "dict", "gpg", "pgp", "registry", "lookup", "search",
		"group", "unique", "composite", "surrogate", "natural", "shard", "routing", "dedup",
		"dedupe", "tag", "label", "column", "field", "index", "join", "hot", "short", "menu",
		"signing", "host", "known", "s3", "bucket", "translation", "i18n", "message", "config",
		"env", "cert", "certificate", "ca", "trusted", "verify", "verification":
		return true
	}
	return false
}

// isKeepSuffix: components that may follow the secret word (secret_key_base).
func isKeepSuffix(c []byte) bool {
	switch string(c) {
	case "value", "val", "base", "b64", "base64", "encoded", "enc", "str", "string", "raw",
		"plain", "plaintext", "new", "old", "current", "prod", "production", "dev", "development",
		"staging", "stage", "test", "live", "sandbox", "local", "default", "data", "text", "hex",
		"encrypted", "confirm", "confirmation", "repeat", "again":
		return true
	}
	return false
}

// isPassCompound: compounds ending in "pass" that name a password (but not bypass, compass).
func isPassCompound(c []byte) bool {
	switch string(c) {
	case "pass", "storepass", "keypass", "srcstorepass", "deststorepass", "srckeypass",
		"destkeypass", "dbpass", "rootpass", "adminpass", "userpass", "mypass", "sudopass",
		"vncpass", "ftppass", "smtppass", "mailpass", "wifipass", "pwd", "pw", "dbpw":
		return true
	}
	return false
}

// splitName lowers name into buf and splits it into components at
// separators and camelCase boundaries (SecretAccessKey -> secret access
// key). It returns how many of comps it filled.
func splitName(name []byte, buf []byte, comps [][]byte) int {
	if len(name) > len(buf) {
		name = name[len(name)-len(buf):] // the telling word is usually last
	}
	n, cs := 0, 0
	flush := func(i int) {
		if i > cs && n < len(comps) {
			comps[n] = buf[cs:i]
			n++
		}
		cs = i
	}
	for i, c := range name {
		switch {
		case c == '_' || c == '-' || c == '.' || c == '/' || c == ':' || c == ' ':
			flush(i)
			cs = i + 1
			buf[i] = c
			continue
		case isUpper(c) && i > cs:
			prev := name[i-1]
			next := byte(0)
			if i+1 < len(name) {
				next = name[i+1]
			}
			if isLower(prev) || isDigit(prev) || isUpper(prev) && isLower(next) {
				flush(i)
			}
		}
		buf[i] = lowerByte(c)
	}
	flush(len(name))
	return n
}

func isNginxPass(c []byte) bool {
	switch string(c) {
	case "proxy", "fastcgi", "uwsgi", "scgi", "grpc", "memcached", "by":
		return true
	}
	return false
}

func isPATOwner(c []byte) bool {
	switch string(c) {
	case "gh", "github", "gitlab", "ado", "devops", "azure", "bitbucket", "hf", "personal", "access", "git", "npm", "docker", "registry":
		return true
	}
	return false
}

func hasSuf(c []byte, s string) bool {
	return len(c) >= len(s) && string(c[len(c)-len(s):]) == s
}

// classifyName returns how strongly name says "secret", and the kind to use.
func classifyName(name []byte) (nameClass, string) {
	var buf [64]byte
	var cbuf [16][]byte
	comps := cbuf[:splitName(name, buf[:], cbuf[:])]
	if len(comps) == 0 {
		return ncNone, ""
	}
	if len(comps) >= 2 && string(comps[0]) == "tf" && string(comps[1]) == "token" {
		return ncStrong, kindToken
	}
	for i := len(comps) - 1; i >= 0; i-- {
		cls, kind := compClass(comps, i)
		if cls == ncNone {
			continue
		}
		for _, c := range comps[i+1:] {
			if !isKeepSuffix(c) && !allDigits(c) {
				return ncNone, ""
			}
		}
		if kind == kindSecret && isAWSSecretName(comps) {
			kind = "aws-secret-key"
		}
		return cls, kind
	}
	return ncNone, ""
}

func isAWSSecretName(comps [][]byte) bool {
	for i, c := range comps {
		switch {
		case string(c) == "secretaccesskey":
			return true
		case string(c) == "secret" && i+2 < len(comps) && string(comps[i+1]) == "access" && string(comps[i+2]) == "key":
			return true
		case string(c) == "secretaccess" && i+1 < len(comps) && string(comps[i+1]) == "key":
			return true
		}
	}
	return false
}

func compClass(comps [][]byte, i int) (nameClass, string) {
	c := comps[i]
	switch {
	case string(c) == "pass" && i > 0 && isNginxPass(comps[i-1]):
		return ncNone, "" // nginx proxy_pass, fastcgi_pass: an upstream
	case isPassCompound(c), hasSuf(c, "password"), hasSuf(c, "passwd"),
		hasSuf(c, "passphrase"), hasSuf(c, "passwort"):
		return ncStrong, kindPassword
	case hasSuf(c, "secret"):
		return ncStrong, kindSecret
	case hasSuf(c, "token"):
		return ncStrong, kindToken
	case string(c) == "pat":
		// A personal access token (GH_PAT), or a pattern (HEX_PAT).
		if len(comps) == 1 || i > 0 && isPATOwner(comps[i-1]) {
			return ncStrong, kindToken
		}
		return ncWeak, kindToken
	case string(c) == "id" && i > 0 && string(comps[i-1]) == "secret", string(c) == "secretid":
		return ncStrong, kindSecret
	case string(c) == "auth", string(c) == "credentials", string(c) == "creds":
		return ncWeak, kindSecret
	case string(c) == "signature", string(c) == "sig":
		return ncSig, kindSecret
	case hasSuf(c, "key"):
		var q []byte
		bare := len(c) == 3
		if bare {
			if i == 0 {
				return ncNone, ""
			}
			q = comps[i-1]
		} else {
			q = c[:len(c)-3]
		}
		if isDenyKeyQualifier(q) {
			return ncNone, ""
		}
		for _, s := range strongKeyQualifiers {
			if string(q) == s || !bare && hasSuf(q, s) {
				return ncStrong, kindSecret
			}
		}
		if !bare {
			// monkey, hotkey, turkey: a compound with an unknown head is a word.
			return ncNone, ""
		}
		return ncWeak, kindSecret
	}
	return ncNone, ""
}

func isNameByte(c byte) bool { return isWord(c) || c == '.' || c == '-' }

func isPassKind(kind string) bool { return kind == kindPassword }

// linePrefixOnly reports whether b (what precedes a name on its line) is
// only indentation and a shell, diff, list or Dockerfile prefix.
func linePrefixOnly(b []byte) bool {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	b = b[i:]
	if len(b) == 0 {
		return true
	}
	switch b[0] {
	case 'e', 'd', 's', 'E', 'A', '-', '>', '<', '+', '#':
	default:
		return false
	}
	for _, p := range linePrefixes {
		if len(b) >= len(p) && string(b[:len(p)]) == p {
			rest := b[len(p):]
			for _, c := range rest {
				if c != ' ' && c != '\t' {
					return false
				}
			}
			return true
		}
	}
	return false
}

var linePrefixes = []string{"export ", "declare -x ", "set ", "setenv ", "ENV ", "ARG ", "- ", "> ", "< ", "+ ", "# ", "+", "-", "#"}

func allDigits(s []byte) bool {
	for _, c := range s {
		if !isDigit(c) {
			return false
		}
	}
	return len(s) > 0
}
