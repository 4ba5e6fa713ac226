package redact

import (
	"bytes"
	"regexp"
)

// Rules by shape: provider key formats recognised by a literal prefix. The
// checklist of formats is the union of the public gitleaks, trufflehog and
// detect-secrets rule sets; the rules themselves are our own. A match always
// covers the whole run of token bytes, so a longer-than-expected token never
// leaks its tail.

type prefixRule struct {
	kind     string
	prefixes []string
	body     *charset
	min      int                   // shortest body after the prefix
	exact    int                   // if set, the body is exactly this long and ends at a non-word byte
	check    func(tok []byte) bool // optional extra verification of prefix+body
	prio     int
	tail     *charset
}

func (r *prefixRule) match(sc *scanner, ks, ke int) {
	line := sc.line
	if ks > 0 && isWord(line[ks-1]) {
		return
	}
	j := runOf(line, ke, r.body)
	n := j - ke
	if r.exact > 0 {
		if n != r.exact || j < len(line) && isWord(line[j]) {
			return
		}
	} else {
		if n < r.min {
			return
		}
		j = runOf(line, j, r.tail)
	}
	if r.check != nil && !r.check(line[ks:j]) {
		return
	}
	sc.add(ks, j, r.kind, r.prio)
}

func hasDigit(b []byte) bool { return bytes.ContainsAny(b, "0123456789") }

func hasDigitAndLetter(b []byte) bool {
	lo, up, dg, _ := classes(b)
	return dg && (lo || up)
}

// jwtShape accepts header.payload.signature (JWS) or five parts (JWE).
func jwtShape(tok []byte) bool {
	parts := bytes.Split(tok, []byte("."))
	if len(parts) != 3 && len(parts) != 5 {
		return false
	}
	return len(parts[0]) >= 10 && (len(parts) == 5 || len(parts[1]) >= 8 && bytes.HasPrefix(parts[1], []byte("ey")))
}

// b64PrivateKey accepts base64 whose decoded start is a private-key PEM
// header (a key inside kubeconfig `client-key-data` or a Secret's tls.key).
func b64PrivateKey(tok []byte) bool {
	n := len(tok)
	if n > 96 {
		n = 96
	}
	n -= n % 4
	out, ok := decodeB64(tok[:n])
	return ok && bytes.Contains(out, []byte("PRIVATE KEY"))
}

func sendgridShape(tok []byte) bool { return bytes.Count(tok, []byte(".")) == 2 }

func genericSKShape(tok []byte) bool {
	body := tok[3:]
	return hasDigitAndLetter(body) && entropy(body) >= 3.0
}

func slackShape(tok []byte) bool { return hasDigit(tok[5:]) }

func p(kind string, body *charset, min int, prefixes ...string) *prefixRule {
	return &prefixRule{kind: kind, prefixes: prefixes, body: body, min: min, prio: prioShape}
}

func px(kind string, body *charset, exact int, prefixes ...string) *prefixRule {
	return &prefixRule{kind: kind, prefixes: prefixes, body: body, exact: exact, prio: prioShape}
}

func (r *prefixRule) with(check func([]byte) bool) *prefixRule { r.check = check; return r }
func (r *prefixRule) at(prio int) *prefixRule                  { r.prio = prio; return r }

var csBraintree = newCharset("alnum", "$")
var csDashHex = newCharset("hexlower", "-")
var csTwitter = newCharset("alnum", "%_-")

func prefixRules() []*prefixRule {
	rules := []*prefixRule{
		// Cloud.
		px("aws-key", csUpper, 16, "AKIA", "ASIA", "ABIA", "ACCA"),
		px("aws-key", csUpper, 17, "A3T"),
		px("gcp-api-key", csURL64, 35, "AIza"),
		p("gcp-oauth-secret", csURL64, 24, "GOCSPX-"),
		p("google-oauth-token", csURL64Dot, 30, "ya29."),
		p("google-oauth-token", csURL64, 30, "1//0"),
		px("digitalocean-token", csHexLower, 64, "dop_v1_", "doo_v1_", "dor_v1_"),
		p("heroku-key", csURL64, 30, "HRKU-"),
		p("alibaba-key", csAlnum, 20, "LTAI"),
		p("cloudflare-key", csDashHex, 150, "v1.0-"),
		p("databricks-token", csHexLower, 32, "dapi"),
		p("tailscale-key", csSlack, 30, "tskey-"),
		p("supabase-token", csHexLower, 40, "sbp_"),
		p("supabase-token", csURL64, 20, "sb_secret_"),
		p("render-key", csAlnum, 30, "rnd_"),
		p("flyio-token", csURL64, 43, "fo1_"),
		p("flyio-token", csB64Pad, 100, "fm1r_", "fm1a_", "fm2_"),
		p("scalingo-token", csURL64, 48, "tk-us-"),
		p("planetscale-token", csURL64Dot, 32, "pscale_tkn_", "pscale_pw_", "pscale_oauth_"),
		p("doppler-token", csAlnum, 40, "dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."),
		p("pulumi-token", csHexLower, 40, "pul-"),
		p("netlify-token", csAlnum, 40, "nfp_"),
		p("vault-token", csURL64, 24, "hvs.", "hvb.", "hvr."),

		// Code hosts and CI.
		p("github-token", csAlnum, 36, "ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
		p("github-token", csWord, 60, "github_pat_"),
		p("gitlab-token", csURL64Dot, 20, "glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glft-",
			"glimt-", "glagent-", "gloas-", "glsoat-", "glffct-", "glwt-"),
		p("gitlab-token", csURL64, 20, "GR1348941"),
		p("atlassian-token", csAlnum, 32, "ATBB"),
		p("atlassian-token", csB64Any, 150, "ATATT3", "ATCTT3"),
		p("buildkite-token", csHexLower, 40, "bkua_"),
		p("circleci-token", csURL64, 40, "CCIPAT_"),
		p("sonarqube-token", csHexLower, 40, "squ_", "sqp_", "sqa_"),
		p("sourcegraph-token", csWord, 40, "sgp_"),
		p("jfrog-token", csAlnum, 69, "AKCp"),
		p("jfrog-token", csB64Pad, 50, "cmVmdGtuOjAxOj"),
		p("octopus-key", csUpper, 26, "API-"),
		p("postman-key", csURL64, 59, "PMAK-"),

		// Chat and SaaS.
		p("slack-token", csSlack, 20, "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxo-", "xoxe-",
			"xoxe.xoxp-", "xoxe.xoxb-", "xapp-").with(slackShape),
		px("twilio-key", csHex, 32, "SK"),
		p("sendgrid-key", csURL64Dot, 60, "SG.").with(sendgridShape),
		px("mailgun-key", csHexLower, 32, "key-"),
		p("brevo-key", csURL64, 64, "xkeysib-"),
		p("stripe-key", csAlnum, 20, "sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_"),
		p("stripe-key", csAlnum, 24, "whsec_"),
		p("square-token", csURL64, 22, "sq0atp-"),
		p("square-token", csURL64, 40, "sq0csp-"),
		p("square-token", csURL64, 60, "EAAA"),
		px("shopify-token", csHex, 32, "shpat_", "shpca_", "shppa_", "shpss_"),
		p("newrelic-key", csUpper, 27, "NRAK-", "NRAA-"),
		p("newrelic-key", csURL64, 32, "NRII-"),
		p("newrelic-key", csHexLower, 19, "NRJS-"),
		p("sentry-token", csB64Any, 50, "sntrys_"),
		px("sentry-token", csHexLower, 64, "sntryu_"),
		p("linear-key", csAlnum, 40, "lin_api_"),
		p("dynatrace-token", csURL64Dot, 80, "dt0c01."),
		p("grafana-token", csB64Pad, 32, "glc_"),
		p("grafana-token", csWord, 32, "glsa_"),
		p("grafana-token", csB64Pad, 50, "eyJrIjoi"),
		p("1password-token", csB64Pad, 100, "ops_eyJ"),
		p("prefect-key", csAlnum, 36, "pnu_"),
		p("readme-key", csLower, 70, "rdme_"),
		p("shippo-token", csHex, 40, "shippo_live_", "shippo_test_"),
		p("infracost-key", csAlnum, 32, "ico-"),
		p("typeform-token", csURL64Dot, 59, "tfp_"),
		p("frameio-token", csURL64, 64, "fio-u-"),
		p("duffel-token", csURL64, 43, "duffel_test_", "duffel_live_"),
		p("easypost-key", csAlnum, 54, "EZAK", "EZTK"),
		p("flutterwave-key", csAlnum, 12, "FLWSECK_TEST-", "FLWSECK-"),
		p("adobe-secret", csAlnum, 32, "p8e-"),
		p("clojars-token", csAlnum, 60, "CLOJARS_"),
		p("notion-token", csAlnum, 40, "ntn_"),
		p("notion-token", csAlnum, 43, "secret_"),
		p("contentful-token", csURL64, 43, "CFPAT-"),
		p("mapbox-token", csURL64Dot, 50, "sk.eyJ"),
		p("facebook-token", csAlnum, 100, "EAAC", "EAAM", "EAAG"),
		p("twitter-bearer", csTwitter, 60, "AAAAAAAAAAAAAAAAAAAAA"),
		p("braintree-token", csBraintree, 40, "access_token$production$", "access_token$sandbox$"),
		p("plaid-token", csDashHex, 36, "access-sandbox-", "access-development-", "access-production-"),

		// AI providers.
		p("anthropic-key", csURL64, 40, "sk-ant-"),
		p("openai-key", csURL64, 40, "sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-"),
		p("openrouter-key", csHexLower, 64, "sk-or-v1-"),
		p("api-key", csURL64, 32, "sk-").with(genericSKShape).at(prioShape - 1),
		p("huggingface-token", csAlnum, 30, "hf_", "api_org_"),
		p("groq-key", csAlnum, 48, "gsk_"),
		p("replicate-token", csAlnum, 36, "r8_"),
		p("perplexity-key", csAlnum, 40, "pplx-"),
		p("xai-key", csAlnum, 60, "xai-"),
		p("langsmith-key", csWord, 40, "lsv2_pt_", "lsv2_sk_"),
		p("pinecone-key", csWord, 40, "pcsk_"),

		// Package registries.
		p("npm-token", csAlnum, 36, "npm_"),
		p("pypi-token", csURL64, 60, "pypi-AgE"),
		p("rubygems-token", csHexLower, 48, "rubygems_"),
		p("dockerhub-token", csURL64, 24, "dckr_pat_", "dckr_oat_"),
		px("nuget-key", csLower, 43, "oy2"),

		// Tokens and keys.
		p("jwt", csURL64Dot, 20, "eyJ").with(jwtShape),
		p("age-key", csBech32, 58, "AGE-SECRET-KEY-1"),
		p(kindPrivateKey, csB64Pad, 40, "LS0tLS1CRUdJTi").with(b64PrivateKey).at(prioBlock),
	}
	for _, r := range rules {
		t := *r.body
		for c, ok := range csURL64 {
			if ok {
				t[c] = true
			}
		}
		r.tail = &t
	}
	return rules
}

// lineRule is a regular expression run on a whole line that contains one of
// its keywords; group names the captured secret (0: the whole match).
type lineRule struct {
	id       int
	kind     string
	keywords []string
	cont     *charset // for a 3-byte keyword: the bytes that may follow it
	re       *regexp.Regexp
	group    int
	check    func(v []byte) bool
}

func (r *lineRule) match(sc *scanner, ks, ke int) {
	if !sc.once(r.id) {
		return
	}
	for _, m := range r.re.FindAllSubmatchIndex(sc.line, -1) {
		s, e := m[2*r.group], m[2*r.group+1]
		if s < 0 {
			continue
		}
		v := sc.line[s:e]
		if len(v) > 0 && isQuote(v[0]) && v[len(v)-1] == v[0] && len(v) >= 2 {
			s, e, v = s+1, e-1, v[1:len(v)-1]
		}
		if isPlaceholder(v) || r.check != nil && !r.check(v) {
			continue
		}
		sc.add(s, e, r.kind, prioShape)
	}
}

func lr(kind string, keywords []string, group int, re string) *lineRule {
	return &lineRule{kind: kind, keywords: keywords, group: group, re: regexp.MustCompile(re)}
}

func (r *lineRule) after(cont string) *lineRule { r.cont = newCharset(cont); return r }

// azureKeywords spell the inner literal of an Azure AD client secret, a
// digit then "Q~" then a secret byte, so the prefilter stays precise.
func azureKeywords() []string {
	var kws []string
	for d := '0'; d <= '9'; d++ {
		for _, c := range "abcdefghijklmnopqrstuvwxyz0123456789_~.-" {
			kws = append(kws, string(d)+"q~"+string(c))
		}
	}
	return kws
}

const chURL64Set = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"

const cliValue = `('[^']*'|"[^"]*"|[^\s'"]\S*)`

func lineRules() []*lineRule {
	rules := []*lineRule{
		// Webhook URLs: the path is the credential.
		lr("slack-webhook", []string{"hooks.slack.com/"}, 1,
			`hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9+/_-]{16,})`),
		lr("discord-webhook", []string{"/api/webhooks/"}, 1,
			`discord(?:app)?\.com/api/webhooks/(\d+/[A-Za-z0-9_-]{20,})`),
		lr("teams-webhook", []string{"webhook.office.com"}, 1,
			`\.webhook\.office\.com/(webhookb2/[^\s"'<>]+)`),
		// Shapes without a literal prefix, found by an inner literal.
		lr("azure-ad-secret", azureKeywords(), 1,
			`(?:^|[^A-Za-z0-9_~.-])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?:$|[^A-Za-z0-9_~.-])`),
		lr("telegram-token", []string{":aa"}, 1,
			`(?:^|[^0-9])(\d{8,10}:AA[A-Za-z0-9_-]{33})(?:$|[^A-Za-z0-9_-])`).after(chURL64Set),
		lr("terraform-token", []string{".atlasv1."}, 1,
			`(?:^|[^A-Za-z0-9])([A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,})`),
		lr("mailchimp-key", []string{"-us"}, 1,
			`(?:^|[^A-Za-z0-9])([0-9a-f]{32}-us[0-9]{1,2})(?:$|[^A-Za-z0-9])`).after("0123456789"),
		lr("newrelic-key", []string{"nral"}, 1,
			`(?:^|[^A-Za-z0-9])([0-9a-f]{36}NRAL)(?:$|[^A-Za-z0-9])`),
		lr("harness-token", []string{"pat.", "sat."}, 1,
			`(?:^|[^A-Za-z0-9])((?:pat|sat)\.[A-Za-z0-9_-]{22}\.[0-9a-f]{24}\.[A-Za-z0-9]{20})`),
		lr("discord-token", []string{"discord"}, 1,
			`(?:^|[^A-Za-z0-9_-])([MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40})(?:$|[^A-Za-z0-9_-])`),
		lr("heroku-key", []string{"heroku"}, 1,
			`(?i)heroku[a-z0-9_.-]*["']?\s*[:=]\s*["']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`),
		lr("okta-token", []string{"okta"}, 1,
			`(?i)okta[a-z0-9_.-]*["']?\s*[:=]\s*["']?(00[A-Za-z0-9_-]{40})`),

		// Credential files: ~/.pgpass (host:port:db:user:password).
		lr(kindPassword, []string{":5432:", ":6432:", ":*:"}, 1,
			`^\s*[^:\s#]+:(?:\d+|\*):[^:\s]+:[^:\s]+:(\S+)\s*$`),

		// Command lines whose password flag is not spelled "password".
		lr(kindPassword, []string{"mysql", "mariadb"}, 1,
			`\b(?:mysql\w*|mariadb\w*)\b.*?\s-p('[^']*'|"[^"]*"|[^\s'"-]\S*)`),
		lr(kindPassword, []string{"sshpass"}, 1, `\bsshpass\b.*?\s-p\s*`+cliValue),
		lr(kindPassword, []string{"login"}, 1,
			`\b(?:docker|podman|nerdctl|buildah|skopeo|oras|helm\s+registry|az\s+acr)\s+login\b.*?\s-p\s+`+cliValue),
		lr(kindPassword, []string{"az login"}, 1, `\baz\s+login\b.*?\s(?:-p|--password)\s+`+cliValue),
		lr(kindPassword, []string{"redis-cli"}, 1, `\bredis-cli\b.*?\s-a\s+`+cliValue),
		lr(kindPassword, []string{"mongo"}, 1,
			`\bmongo(?:sh|dump|restore|export|import|stat|top)?\b.*?\s-p\s+('[^']*'|"[^"]*"|[^\s'"-]\S*)`),
		lr(kindPassword, []string{"curl"}, 2,
			`\bcurl\b.*?\s(?:-u|--user)(?:\s+|=)['"]?([^\s:'"\[]*):([^\s'"]+)`),
		lr(kindPassword, []string{"-pass"}, 1, `-pass(?:in|out)?\s+pass:(\S+)`),
		lr(kindPassword, []string{"htpasswd"}, 1, `\bhtpasswd\b.*?\s-\w*b\w*\s+\S+\s+\S+\s+(\S+)`),
		lr(kindPassword, []string{"smbclient"}, 1, `\bsmbclient\b.*?-U\s+[^\s%]+%(\S+)`),
		lr(kindPassword, []string{"ldap"}, 1, `\bldap\w*\b.*?\s-w\s+`+cliValue),
		lr(kindPassword, []string{"sqlcmd"}, 1, `\bsqlcmd\b.*?\s-P\s+`+cliValue),
		lr(kindPassword, []string{"zip", "7za"}, 1, `\b(?:zip|unzip|7za)\b.*?\s-[Pp]\s*('[^']*'|"[^"]*"|[^\s'"-]\S*)`).after(" \t"),
		lr(kindPassword, []string{"7z "}, 1, `\b7z\s.*?\s-[Pp]\s*('[^']*'|"[^"]*"|[^\s'"-]\S*)`).after("abcdefghijklmnopqrstuvwxyz-"),
	}
	for i, r := range rules {
		r.id = i
	}
	return rules
}
