// Package redact removes secrets from command output before it leaves
// execkit: from results, job output, the audit log, notifications and the
// viewer. It runs after cleaning and before budgets (clean → redact →
// budget), so a budget's head and tail windows only ever see redacted text.
//
//	r, err := redact.New(&redact.Options{Values: []string{sshPassword}})
//	if err != nil { ... }
//	out, n := r.String(stdout) // n secrets replaced with [REDACTED]
//
// A [Redactor] is built once and shared: it is immutable and safe for
// concurrent use.
//
// # What is redacted
//
// Secrets are found three ways:
//
//   - By shape: provider key formats that carry a recognisable prefix or
//     structure — AWS access key ids, GCP API keys and OAuth secrets, Azure
//     AD secrets, DigitalOcean, Heroku, Alibaba, Cloudflare, Vault and
//     Terraform tokens; GitHub, GitLab, Bitbucket/Atlassian, Buildkite,
//     CircleCI, SonarQube, JFrog tokens; Slack tokens and webhooks, Discord,
//     Teams, Twilio, SendGrid, Mailgun, Mailchimp, Stripe, Square, Shopify,
//     New Relic, Sentry, Linear, Grafana, 1Password and more; OpenAI,
//     Anthropic, Hugging Face, Groq, Replicate, Perplexity, xAI, OpenRouter,
//     LangSmith and Pinecone keys; npm, PyPI, RubyGems, Docker Hub and NuGet
//     tokens; JWTs; age secret keys; and PEM, OpenSSH, PGP, SSH2 and PuTTY
//     private-key blocks, always the whole block from header to footer.
//   - By context: Authorization and other auth headers, session-like
//     cookies, assignments whose name says secret (PGPASSWORD=, "password":,
//     api_key =, --token x, client_secret: ...) in env dumps, config files
//     and command lines, passwords in URLs (postgres://u:p@host), database
//     connection strings, docker config.json auths, Kubernetes Secret data,
//     ~/.aws/credentials, .netrc, .pgpass, and tools whose password flag has
//     another name (mysql -p, sshpass -p, redis-cli -a, curl -u).
//   - By value: secrets the operator declares in [Options.Values], wherever
//     they appear, also base64-encoded (on one line or wrapped, as
//     base64(1) prints it), URL-encoded and JSON-escaped (escapes in
//     either case). The MCP server takes the names of environment
//     variables holding such values from EXECKIT_MCP_SECRET_ENV
//     (comma-separated) and reads them with [ValuesFromEnv].
//
// The replacement is [Replacement] ("[REDACTED]"), or "[REDACTED:kind]"
// with [Options.KindTags]. The surrounding text stays (password=[REDACTED],
// Authorization: Bearer [REDACTED]) so the output still reads, a token is
// replaced whole so its tail never leaks, and the count of replacements is
// returned so the caller can report it (never which secrets they were).
// Ordinary output is left alone: git SHAs, UUIDs, digests, npm integrity
// strings, go.sum lines, paths, identifiers and password prompts without
// a value. Recall and false positives are measured on the corpus in
// testdata by TestCorpusRecallAndFalsePositives.
//
// A key block printed with a prefix on every line is redacted whole too:
// cat -n, grep -n -A, docker compose logs ("web-1  | "), timestamped logs.
// Body and END lines count as the block's when they start with a prefix of
// the BEGIN line's shape (its numbers may change) or with none.
//
// # Streaming
//
// [Redactor.NewWriter] returns a [Writer] that redacts a stream written in
// arbitrary chunks and produces exactly what [Redactor.String] would for
// the whole text. It holds back only the incomplete last line (lines longer
// than 64 KiB are processed in overlapping windows, so memory stays bounded
// and a secret across a window edge is still seen whole) and, after a
// private-key header, the line that shows whether a key follows. A key
// block is never held: its header becomes [REDACTED] and its body and
// footer are dropped as they arrive, so no block is too long to redact.
//
// # Speed
//
// Every rule names literal keywords its matches must contain. One pass over
// the text (a hashed 4-byte-window filter that stays in L1 cache, verified
// exactly) finds every keyword, and rules run only on the lines that
// contain theirs, so a clean line costs the same however many rules there
// are. BenchmarkRedact reports the throughput on build and test output.
//
// # Terminal output
//
// The session runs the redactor before carriage returns and backspaces are
// applied (internal/clean's filtered Writer), so a token overwritten in
// part ("ghp_...\rxx") is still seen whole; a carriage return ends a value
// as a blank does. A line that such edits composed is checked again once
// they are applied ([Writer.Recheck]).
//
// # Limits
//
// A secret with no shape and no telling name (a bare random string printed
// on its own) cannot be told from other random strings unless the operator
// declares it. A PEM body whose header was cut off (tail -n 5 key.pem) is
// not recognised. A prefixed key block ends at a line of another source
// (interleaved docker compose services). A declared value's base64 form
// wrapped across lines can show up to three characters (two bytes' worth)
// at the end of its first line.
package redact
