package redact

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Fake, format-valid secrets for the tests. Nothing here is a real
// credential: every value is random bytes in the provider's shape.

const (
	chAlnum  = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	chLower  = "abcdefghijklmnopqrstuvwxyz0123456789"
	chUpper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	chB32    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	chHex    = "0123456789abcdef"
	chURL64  = chAlnum + "-_"
	chB64    = chAlnum + "+/"
	chBech32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	chPass   = chAlnum + "!#%^*+?~-_."
)

func rs(r *rand.Rand, chars string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func wrap(s string, n int, sep string) string {
	var parts []string
	for len(s) > n {
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return strings.Join(append(parts, s), sep)
}

// prefixLines puts pre(n) before the line n (from 0) of s.
func prefixLines(s string, pre func(n int) string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = pre(i) + l
	}
	return strings.Join(lines, "\n")
}

func pemBody(r *rand.Rand, n int) string {
	// Key material starts like DER (MII...) but is random.
	return wrap("MII"+base64.StdEncoding.EncodeToString(randBytes(r, n)), 64, "\n")
}

func jwtToken(r *rand.Rand) string {
	enc := base64.RawURLEncoding
	hdr, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{"sub": rs(r, chLower, 10), "iat": 1709650000 + r.IntN(1e6), "name": rs(r, chAlnum, 8)})
	return enc.EncodeToString(hdr) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(randBytes(r, 32))
}

func uuid(r *rand.Rand) string {
	h := rs(r, chHex, 32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

func password(r *rand.Rand) string {
	// Always has a digit and a symbol, like a generated password.
	return rs(r, chAlnum, 6+r.IntN(10)) + rs(r, "0123456789", 1) + rs(r, "!#%^*+?~", 1) + rs(r, chAlnum, 3)
}

func b64PEM(r *rand.Rand) string {
	pem := "-----BEGIN RSA PRIVATE KEY-----\n" + pemBody(r, 300) + "\n-----END RSA PRIVATE KEY-----\n"
	return base64.StdEncoding.EncodeToString([]byte(pem))
}

var gens = map[string]func(r *rand.Rand) string{
	"aws_key_id":     func(r *rand.Rand) string { return "AKIA" + rs(r, chB32, 16) },
	"aws_sts_key_id": func(r *rand.Rand) string { return "ASIA" + rs(r, chB32, 16) },
	"aws_secret":     func(r *rand.Rand) string { return rs(r, chB64, 40) },
	"aws_session": func(r *rand.Rand) string {
		return "IQoJb3JpZ2luX2Vj" + rs(r, chB64, 300) + "=="
	},
	"gcp_api_key":          func(r *rand.Rand) string { return "AIza" + rs(r, chURL64, 35) },
	"gcp_oauth_secret":     func(r *rand.Rand) string { return "GOCSPX-" + rs(r, chURL64, 28) },
	"google_access_token":  func(r *rand.Rand) string { return "ya29.a0" + rs(r, chURL64, 150) },
	"google_refresh_token": func(r *rand.Rand) string { return "1//0" + rs(r, chURL64, 99) },
	"pem_escaped": func(r *rand.Rand) string {
		return "-----BEGIN PRIVATE KEY-----\\n" + strings.ReplaceAll(pemBody(r, 600), "\n", "\\n") + "\\n-----END PRIVATE KEY-----\\n"
	},
	"azure_storage_key": func(r *rand.Rand) string { return base64.StdEncoding.EncodeToString(randBytes(r, 64)) },
	"azure_sas_sig": func(r *rand.Rand) string {
		return strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(base64.StdEncoding.EncodeToString(randBytes(r, 32)))
	},
	"azure_ad_secret": func(r *rand.Rand) string {
		return rs(r, chAlnum, 3) + rs(r, "0123456789", 1) + "Q~" + rs(r, chAlnum+"_~.-", 34)
	},
	"do_token":          func(r *rand.Rand) string { return "dop_v1_" + rs(r, chHex, 64) },
	"uuid":              uuid,
	"heroku_token":      func(r *rand.Rand) string { return "HRKU-AA" + rs(r, chURL64, 58) },
	"alibaba_key":       func(r *rand.Rand) string { return "LTAI" + rs(r, chAlnum, 20) },
	"cloudflare_ca_key": func(r *rand.Rand) string { return "v1.0-" + rs(r, chHex, 24) + "-" + rs(r, chHex, 146) },
	"databricks_token":  func(r *rand.Rand) string { return "dapi" + rs(r, chHex, 32) },
	"tailscale_key": func(r *rand.Rand) string {
		return "tskey-auth-" + rs(r, chAlnum, 17) + "-" + rs(r, chAlnum, 33)
	},
	"supabase_token":    func(r *rand.Rand) string { return "sbp_" + rs(r, chHex, 40) },
	"render_key":        func(r *rand.Rand) string { return "rnd_" + rs(r, chAlnum, 32) },
	"flyio_token":       func(r *rand.Rand) string { return "fm2_" + rs(r, chB64, 200) + "==" },
	"scalingo_token":    func(r *rand.Rand) string { return "tk-us-" + rs(r, chURL64, 48) },
	"planetscale_token": func(r *rand.Rand) string { return "pscale_tkn_" + rs(r, chURL64, 43) },
	"doppler_token":     func(r *rand.Rand) string { return "dp.st." + rs(r, chAlnum, 43) },
	"pulumi_token":      func(r *rand.Rand) string { return "pul-" + rs(r, chHex, 40) },
	"netlify_token":     func(r *rand.Rand) string { return "nfp_" + rs(r, chAlnum, 40) },
	"vault_token":       func(r *rand.Rand) string { return "hvs." + rs(r, chURL64, 95) },
	"vault_batch":       func(r *rand.Rand) string { return "hvb." + rs(r, chURL64, 138) },
	"terraform_token": func(r *rand.Rand) string {
		return rs(r, chAlnum, 14) + ".atlasv1." + rs(r, chURL64, 67)
	},
	"github_pat":     func(r *rand.Rand) string { return "ghp_" + rs(r, chAlnum, 36) },
	"github_oauth":   func(r *rand.Rand) string { return "gho_" + rs(r, chAlnum, 36) },
	"github_app":     func(r *rand.Rand) string { return "ghs_" + rs(r, chAlnum, 36) },
	"github_refresh": func(r *rand.Rand) string { return "ghr_" + rs(r, chAlnum, 36) },
	"github_fine": func(r *rand.Rand) string {
		return "github_pat_11" + rs(r, chUpper, 20) + "_" + rs(r, chAlnum, 59)
	},
	"hex32":             func(r *rand.Rand) string { return rs(r, chHex, 32) },
	"hex40":             func(r *rand.Rand) string { return rs(r, chHex, 40) },
	"hex64":             func(r *rand.Rand) string { return rs(r, chHex, 64) },
	"alnum32":           func(r *rand.Rand) string { return rs(r, chAlnum, 32) },
	"alnum40":           func(r *rand.Rand) string { return rs(r, chAlnum, 40) },
	"gitlab_pat":        func(r *rand.Rand) string { return "glpat-" + rs(r, chURL64, 20) },
	"gitlab_runner":     func(r *rand.Rand) string { return "glrt-" + rs(r, chURL64, 20) },
	"gitlab_rrt":        func(r *rand.Rand) string { return "GR1348941" + rs(r, chURL64, 20) },
	"gitlab_deploy":     func(r *rand.Rand) string { return "gldt-" + rs(r, chURL64, 20) },
	"bitbucket_app_pw":  func(r *rand.Rand) string { return "ATBB" + rs(r, chAlnum, 32) },
	"atlassian_token":   func(r *rand.Rand) string { return "ATATT3xFfGF0" + rs(r, chURL64+"=", 180) },
	"buildkite_token":   func(r *rand.Rand) string { return "bkua_" + rs(r, chHex, 40) },
	"circleci_token":    func(r *rand.Rand) string { return "CCIPAT_" + rs(r, chAlnum, 22) + "_" + rs(r, chHex, 40) },
	"sonar_token":       func(r *rand.Rand) string { return "squ_" + rs(r, chHex, 40) },
	"sourcegraph_token": func(r *rand.Rand) string { return "sgp_" + rs(r, chHex, 16) + "_" + rs(r, chHex, 40) },
	"jfrog_key":         func(r *rand.Rand) string { return "AKCp" + rs(r, chAlnum, 69) },
	"octopus_key":       func(r *rand.Rand) string { return "API-" + rs(r, chUpper, 26) },
	"postman_key":       func(r *rand.Rand) string { return "PMAK-" + rs(r, chHex, 24) + "-" + rs(r, chHex, 34) },
	"slack_bot": func(r *rand.Rand) string {
		return "xoxb-" + rs(r, "0123456789", 12) + "-" + rs(r, "0123456789", 13) + "-" + rs(r, chAlnum, 24)
	},
	"slack_user": func(r *rand.Rand) string {
		return "xoxp-" + rs(r, "0123456789", 12) + "-" + rs(r, "0123456789", 12) + "-" + rs(r, "0123456789", 13) + "-" + rs(r, chHex, 32)
	},
	"slack_app": func(r *rand.Rand) string {
		return "xapp-1-A" + rs(r, chUpper, 10) + "-" + rs(r, "0123456789", 13) + "-" + rs(r, chHex, 64)
	},
	"slack_webhook_path": func(r *rand.Rand) string {
		return "T" + rs(r, chUpper, 8) + "/B" + rs(r, chUpper, 10) + "/" + rs(r, chAlnum, 24)
	},
	"discord_token": func(r *rand.Rand) string {
		return "M" + rs(r, chAlnum, 25) + "." + rs(r, chURL64, 6) + "." + rs(r, chURL64, 38)
	},
	"discord_webhook_path": func(r *rand.Rand) string {
		return rs(r, "0123456789", 18) + "/" + rs(r, chURL64, 68)
	},
	"teams_webhook_path": func(r *rand.Rand) string {
		return "webhookb2/" + uuid(r) + "@" + uuid(r) + "/IncomingWebhook/" + rs(r, chHex, 32) + "/" + uuid(r)
	},
	"twilio_key":        func(r *rand.Rand) string { return "SK" + rs(r, chHex, 32) },
	"sendgrid_key":      func(r *rand.Rand) string { return "SG." + rs(r, chURL64, 22) + "." + rs(r, chURL64, 43) },
	"mailgun_key":       func(r *rand.Rand) string { return "key-" + rs(r, chHex, 32) },
	"mailchimp_key":     func(r *rand.Rand) string { return rs(r, chHex, 32) + "-us" + fmt.Sprint(1+r.IntN(20)) },
	"brevo_key":         func(r *rand.Rand) string { return "xkeysib-" + rs(r, chHex, 64) + "-" + rs(r, chAlnum, 16) },
	"stripe_live":       func(r *rand.Rand) string { return "sk_live_" + rs(r, chAlnum, 99) },
	"stripe_test":       func(r *rand.Rand) string { return "sk_test_" + rs(r, chAlnum, 24) },
	"stripe_whsec":      func(r *rand.Rand) string { return "whsec_" + rs(r, chAlnum, 32) },
	"square_token":      func(r *rand.Rand) string { return "EAAA" + rs(r, chURL64, 60) },
	"square_secret":     func(r *rand.Rand) string { return "sq0csp-" + rs(r, chURL64, 43) },
	"shopify_token":     func(r *rand.Rand) string { return "shpat_" + rs(r, chHex, 32) },
	"shopify_secret":    func(r *rand.Rand) string { return "shpss_" + rs(r, chHex, 32) },
	"newrelic_key":      func(r *rand.Rand) string { return "NRAK-" + rs(r, chUpper, 27) },
	"newrelic_license":  func(r *rand.Rand) string { return rs(r, chHex, 36) + "NRAL" },
	"sentry_user_token": func(r *rand.Rand) string { return "sntryu_" + rs(r, chHex, 64) },
	"linear_key":        func(r *rand.Rand) string { return "lin_api_" + rs(r, chAlnum, 40) },
	"dynatrace_token": func(r *rand.Rand) string {
		return "dt0c01." + rs(r, chUpper, 24) + "." + rs(r, chUpper, 64)
	},
	"grafana_sa":        func(r *rand.Rand) string { return "glsa_" + rs(r, chAlnum, 32) + "_" + rs(r, chHex, 8) },
	"grafana_cloud":     func(r *rand.Rand) string { return "glc_" + rs(r, chB64, 120) + "==" },
	"onepassword_token": func(r *rand.Rand) string { return "ops_eyJ" + rs(r, chB64, 300) },
	"prefect_key":       func(r *rand.Rand) string { return "pnu_" + rs(r, chAlnum, 36) },
	"readme_key":        func(r *rand.Rand) string { return "rdme_" + rs(r, chLower, 70) },
	"shippo_token":      func(r *rand.Rand) string { return "shippo_live_" + rs(r, chHex, 40) },
	"infracost_key":     func(r *rand.Rand) string { return "ico-" + rs(r, chAlnum, 32) },
	"typeform_token":    func(r *rand.Rand) string { return "tfp_" + rs(r, chAlnum, 44) + "_" + rs(r, chAlnum, 14) },
	"frameio_token":     func(r *rand.Rand) string { return "fio-u-" + rs(r, chURL64, 64) },
	"duffel_token":      func(r *rand.Rand) string { return "duffel_live_" + rs(r, chURL64, 43) },
	"easypost_key":      func(r *rand.Rand) string { return "EZAK" + rs(r, chAlnum, 54) },
	"flutterwave_key":   func(r *rand.Rand) string { return "FLWSECK_TEST-" + rs(r, chHex, 32) + "-X" },
	"adobe_secret":      func(r *rand.Rand) string { return "p8e-" + rs(r, chAlnum, 32) },
	"clojars_token":     func(r *rand.Rand) string { return "CLOJARS_" + rs(r, chLower, 60) },
	"notion_token":      func(r *rand.Rand) string { return "ntn_" + rs(r, chAlnum, 46) },
	"contentful_token":  func(r *rand.Rand) string { return "CFPAT-" + rs(r, chURL64, 43) },
	"mapbox_token": func(r *rand.Rand) string {
		return "sk.eyJ1Ijoi" + rs(r, chAlnum, 40) + "." + rs(r, chURL64, 22)
	},
	"facebook_token": func(r *rand.Rand) string { return "EAAC" + rs(r, chAlnum, 160) },
	"twitter_bearer": func(r *rand.Rand) string { return strings.Repeat("A", 22) + rs(r, chAlnum+"%", 90) },
	"braintree_token": func(r *rand.Rand) string {
		return "access_token$production$" + rs(r, chLower, 16) + "$" + rs(r, chHex, 32)
	},
	"plaid_token": func(r *rand.Rand) string { return "access-production-" + uuid(r) },
	"telegram_token": func(r *rand.Rand) string {
		return rs(r, "123456789", 1) + rs(r, "0123456789", 9) + ":AA" + rs(r, chURL64, 33)
	},
	"harness_token": func(r *rand.Rand) string {
		return "pat." + rs(r, chURL64, 22) + "." + rs(r, chHex, 24) + "." + rs(r, chAlnum, 20)
	},
	"okta_token": func(r *rand.Rand) string { return "00" + rs(r, chURL64, 40) },
	"openai_key": func(r *rand.Rand) string {
		return "sk-proj-" + rs(r, chURL64, 74) + "T3BlbkFJ" + rs(r, chURL64, 74)
	},
	"openai_legacy": func(r *rand.Rand) string { return "sk-" + rs(r, chAlnum, 20) + "T3BlbkFJ" + rs(r, chAlnum, 20) },
	"anthropic_key": func(r *rand.Rand) string {
		return "sk-ant-api03-" + rs(r, chURL64, 93) + "AA"
	},
	"hf_token":        func(r *rand.Rand) string { return "hf_" + rs(r, chAlnum, 34) },
	"groq_key":        func(r *rand.Rand) string { return "gsk_" + rs(r, chAlnum, 52) },
	"replicate_token": func(r *rand.Rand) string { return "r8_" + rs(r, chAlnum, 37) },
	"perplexity_key":  func(r *rand.Rand) string { return "pplx-" + rs(r, chAlnum, 48) },
	"xai_key":         func(r *rand.Rand) string { return "xai-" + rs(r, chAlnum, 80) },
	"openrouter_key":  func(r *rand.Rand) string { return "sk-or-v1-" + rs(r, chHex, 64) },
	"langsmith_key":   func(r *rand.Rand) string { return "lsv2_pt_" + rs(r, chHex, 32) + "_" + rs(r, chHex, 10) },
	"pinecone_key":    func(r *rand.Rand) string { return "pcsk_" + rs(r, chAlnum, 6) + "_" + rs(r, chAlnum, 60) },
	"deepseek_key":    func(r *rand.Rand) string { return "sk-" + rs(r, chHex, 32) },
	"npm_token":       func(r *rand.Rand) string { return "npm_" + rs(r, chAlnum, 36) },
	"pypi_token":      func(r *rand.Rand) string { return "pypi-AgEIcHlwaS5vcmc" + rs(r, chURL64, 150) },
	"rubygems_token":  func(r *rand.Rand) string { return "rubygems_" + rs(r, chHex, 48) },
	"dockerhub_token": func(r *rand.Rand) string { return "dckr_pat_" + rs(r, chURL64, 27) },
	"nuget_key":       func(r *rand.Rand) string { return "oy2" + rs(r, chLower, 43) },
	"basic_b64": func(r *rand.Rand) string {
		return base64.StdEncoding.EncodeToString([]byte(rs(r, chLower, 6) + ":" + password(r)))
	},
	"jwt":     jwtToken,
	"age_key": func(r *rand.Rand) string { return "AGE-SECRET-KEY-1" + strings.ToUpper(rs(r, chBech32, 58)) },
	"pem_body": func(r *rand.Rand) string {
		return pemBody(r, 600+r.IntN(900))
	},
	"pem_body_indented": func(r *rand.Rand) string { return strings.ReplaceAll(pemBody(r, 600), "\n", "\n  ") },
	"pem_body_short":    func(r *rand.Rand) string { return pemBody(r, 90) },
	// Body lines with a prefix on each, as cat -n, docker compose logs,
	// docker logs -t and grep -n -A print them; the template holds the
	// BEGIN line.
	"pem_body_catn": func(r *rand.Rand) string {
		return prefixLines(pemBody(r, 600+r.IntN(600))+"\n-----END RSA PRIVATE KEY-----", func(n int) string { return fmt.Sprintf("%6d\t", n+2) })
	},
	"pem_body_compose": func(r *rand.Rand) string {
		return prefixLines(pemBody(r, 600+r.IntN(600)), func(int) string { return "web-1  | " })
	},
	"pem_body_ts": func(r *rand.Rand) string {
		return prefixLines(pemBody(r, 600+r.IntN(600)), func(n int) string {
			return fmt.Sprintf("2024-05-01T10:00:%02d.%dZ ", 1+n%50, r.IntN(1000000))
		})
	},
	"pem_body_grep": func(r *rand.Rand) string {
		return prefixLines(pemBody(r, 600+r.IntN(600))+"\n-----END EC PRIVATE KEY-----", func(n int) string { return fmt.Sprintf("%d-", n+13) })
	},
	"pem_b64_oneline": func(r *rand.Rand) string { return "MII" + base64.StdEncoding.EncodeToString(randBytes(r, 600)) },
	"b64_64":          func(r *rand.Rand) string { return base64.StdEncoding.EncodeToString(randBytes(r, 48)) },
	"b64_44":          func(r *rand.Rand) string { return base64.StdEncoding.EncodeToString(randBytes(r, 32)) },
	"b64_pem":         b64PEM,
	"b64_random":      func(r *rand.Rand) string { return base64.StdEncoding.EncodeToString(randBytes(r, 24+r.IntN(40))) },
	"b64_text":        func(r *rand.Rand) string { return base64.StdEncoding.EncodeToString([]byte(password(r))) },
	"opaque_token":    func(r *rand.Rand) string { return rs(r, chAlnum, 24+r.IntN(24)) },
	"password":        password,
	"password2":       password,
	"password_slash":  func(r *rand.Rand) string { return rs(r, chAlnum, 5) + "/" + rs(r, chAlnum, 4) + "7" },
	"passphrase": func(r *rand.Rand) string {
		w := []string{"correct", "horse", "battery", "staple", "violet", "orbit", "canyon", "maple"}
		return w[r.IntN(8)] + " " + w[r.IntN(8)] + " " + w[r.IntN(8)] + " " + fmt.Sprint(r.IntN(100))
	},
	"django_secret": func(r *rand.Rand) string { return "django-insecure-" + rs(r, chLower+"!@#%^&*(-_=+)", 50) },
}

// positive is one true-positive template from testdata/positives.txt.
type positive struct {
	kind     string
	template string
	keep     []string
	line     int
}

func loadPositives(t testing.TB) []positive {
	f, err := os.Open(filepath.Join("testdata", "positives.txt"))
	require.NoError(t, err)
	defer f.Close()
	var out []positive
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		require.GreaterOrEqual(t, len(cols), 2, "positives.txt:%d: want kind<TAB>template", n)
		p := positive{kind: cols[0], template: unescape(cols[1]), line: n}
		if len(cols) > 2 && cols[2] != "" {
			for _, k := range strings.Split(cols[2], "|") {
				p.keep = append(p.keep, unescape(k))
			}
		}
		out = append(out, p)
	}
	require.NoError(t, sc.Err())
	return out
}

// unescape turns "\n" into a newline, "\t" into a tab and "\\n" into a
// literal backslash-n.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			case 't':
				b.WriteByte('\t')
				i++
				continue
			case '\\':
				b.WriteByte('\\')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// instance is a template filled with generated secrets.
type instance struct {
	text    string
	secrets []string
}

func (p positive) fill(t testing.TB, r *rand.Rand) instance {
	var inst instance
	s := p.template
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.Index(s[i:], "}}")
		require.GreaterOrEqual(t, j, 0, "positives.txt:%d: unclosed {{", p.line)
		name := s[i+2 : i+j]
		g, ok := gens[name]
		require.True(t, ok, "positives.txt:%d: no generator %q", p.line, name)
		v := g(r)
		b.WriteString(s[:i])
		b.WriteString(v)
		inst.secrets = append(inst.secrets, v)
		s = s[i+j+2:]
	}
	inst.text = b.String()
	return inst
}

// leaks returns the pieces of the secrets that survive in out: the whole
// secret, or any 8-byte window past its first 4 bytes (a tail).
//
// Pieces and windows that also occur in the text around the secret (a
// structural prefix such as AGE-SECRET-KEY- next to a label spelling the
// same, or fuzz input containing "KEY-----") do not count.
func leaks(out, template string, secrets []string) []string {
	var found []string
	for _, s := range secrets {
		if len(s) >= 6 && strings.Contains(out, s) && !strings.Contains(template, s) {
			found = append(found, s)
			continue
		}
		for _, piece := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ' ' }) {
			for _, part := range strings.Split(piece, `\n`) {
				part = strings.TrimSpace(part)
				if len(part) < 8 || strings.Contains(template, part) {
					continue
				}
				if strings.Contains(out, part) {
					found = append(found, part)
					continue
				}
				for k := 4; k+8 <= len(part); k += 4 {
					if w := part[k : k+8]; strings.Contains(out, w) && !strings.Contains(template, w) {
						found = append(found, part+" (tail "+w+")")
						break
					}
				}
			}
		}
	}
	return found
}
