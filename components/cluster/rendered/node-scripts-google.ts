import { bash, shellQuote } from "./node-scripts-shell";
import { FederationPool, KubernetesServiceAccount, providerAudience, providerTokenAudience, serviceAccountSubject } from "../../shared/workload-identity";

/**
 * Google Cloud Storage from a control-plane host without a key file: the host signs a
 * short-lived service-account token itself with the cluster's signing key (sa.key, which the
 * program owns and whose JWKS the Workload Identity provider trusts), exchanges it at Google's
 * STS for an access token, and calls the GCS JSON API with curl. Nothing here needs the API
 * server, so a restore works while the control plane is down.
 */

/** Who the host's tokens speak for: a subject the bucket grants name, not a ServiceAccount object. */
export interface HostIdentity {
    /** The API server's --service-account-issuer (the provider's issuerUri). */
    readonly issuer: string;
    readonly serviceAccount: KubernetesServiceAccount;
    readonly federation: FederationPool;
    readonly bucket: string;
}

/** Tokens live 5 minutes: long enough for one exchange, short enough to be worthless when leaked. */
export const HOST_TOKEN_LIFETIME_SECONDS = 300;

/** The signing key kubeadm reads; the program installs it on cp-0, joins copy it to the others. */
export const SERVICE_ACCOUNT_KEY_PATH = "/etc/kubernetes/pki/sa.key";

const JSON_SAFE = /^[A-Za-z0-9:/._-]+$/;

function checkJsonSafe(what: string, value: string): void {
    // These values go into JSON built with printf: no quotes, backslashes or spaces to escape.
    if (!JSON_SAFE.test(value)) throw new Error(`${what} ${JSON.stringify(value)} may only use letters, digits and ":/._-"`);
}

/** Readonly settings the Google helpers read: issuer, subject, audiences, bucket, endpoints. */
export function googleSettings(identity: HostIdentity): string[] {
    const subject = serviceAccountSubject(identity.serviceAccount);
    const settings = {
        TOKEN_ISSUER: identity.issuer,
        TOKEN_SUBJECT: subject,
        TOKEN_AUDIENCE: providerTokenAudience(identity.federation),
        PROVIDER_AUDIENCE: providerAudience(identity.federation),
    };
    for (const [name, value] of Object.entries(settings)) checkJsonSafe(name, value);
    if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(identity.bucket)) throw new Error(`bucket ${JSON.stringify(identity.bucket)} is not a GCS bucket name`);
    return [
        ...Object.entries(settings).map(([name, value]) => `readonly ${name}=${shellQuote(value)}`),
        `readonly BUCKET=${shellQuote(identity.bucket)}`,
        `readonly SA_KEY="$ROOT${SERVICE_ACCOUNT_KEY_PATH}"`,
        `readonly TOKEN_LIFETIME_SECONDS=${HOST_TOKEN_LIFETIME_SECONDS}`,
        bash`
# Google's endpoints; BOUTIQUE_TEST_* point them at a fake Google in tests (sudo drops them in production).
readonly STS_URL="\${BOUTIQUE_TEST_STS_URL:-https://sts.googleapis.com/v1/token}"
readonly STORAGE_URL="\${BOUTIQUE_TEST_STORAGE_URL:-https://storage.googleapis.com}"`.trim(),
    ];
}

/**
 * Bash helpers: `google_login <dir>` (a private dir for the token files), `gcs_upload <file>
 * <object>`, `gcs_list <prefix>` (one name a line), `gcs_download <object> <file>`. Tokens
 * travel in files (curl's `@file` forms), never on a command line `ps` would show.
 */
export const GOOGLE_HELPERS = bash`
base64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# Kubernetes' kid: unpadded base64url of SHA-256 over the public key's PKIX DER.
signing_key_id() { openssl pkey -in "$SA_KEY" -pubout -outform DER | openssl dgst -sha256 -binary | base64url; }

# sign_token <file>: an RS256 JWT for TOKEN_SUBJECT, signed with the cluster's service-account key.
sign_token() {
  local kid now header claims signature
  [ -r "$SA_KEY" ] || die "cannot read the service-account signing key \${SA_KEY#"$ROOT"}"
  if ! kid=$(signing_key_id) || [ -z "$kid" ]; then die "cannot derive the key id from \${SA_KEY#"$ROOT"}"; fi
  now=$(date +%s)
  header=$(printf '{"alg":"RS256","kid":"%s","typ":"JWT"}' "$kid" | base64url)
  claims=$(printf '{"iss":"%s","sub":"%s","aud":"%s","iat":%d,"nbf":%d,"exp":%d}' \
    "$TOKEN_ISSUER" "$TOKEN_SUBJECT" "$TOKEN_AUDIENCE" "$now" "$((now - 30))" "$((now + TOKEN_LIFETIME_SECONDS))" | base64url)
  if ! signature=$(printf '%s.%s' "$header" "$claims" | openssl dgst -sha256 -sign "$SA_KEY" -binary | base64url) || [ -z "$signature" ]; then
    die "cannot sign a token with \${SA_KEY#"$ROOT"}"
  fi
  printf '%s.%s.%s' "$header" "$claims" "$signature" >"$1"
}

# A JSON string field of a (possibly pretty-printed) response; values here never hold quotes.
json_field() { tr -d '\n' <"$2" | sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p'; }

# google_call <what> <response file> <expected status> <curl args...>: fails loudly with Google's answer.
google_call() {
  local what=$1 response=$2 expected=$3 status
  shift 3
  status=$(curl -sS --retry 3 --connect-timeout 20 --max-time 3600 -o "$response" -w '%{http_code}' "$@") ||
    die "$what: no answer from Google (curl failed)"
  if [ "$status" != "$expected" ]; then
    die "$what: HTTP $status: $(head -c 600 "$response" 2>/dev/null | tr -s '[:space:]' ' ')"
  fi
}

# google_login <private dir>: exchanges a fresh host-signed token for an access token (STS).
google_login() {
  GOOGLE_DIR=$1
  sign_token "$GOOGLE_DIR/subject-token"
  google_call "token exchange at $STS_URL" "$GOOGLE_DIR/sts.json" 200 \
    --data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:token-exchange" \
    --data-urlencode "audience=$PROVIDER_AUDIENCE" \
    --data-urlencode "scope=https://www.googleapis.com/auth/cloud-platform" \
    --data-urlencode "requested_token_type=urn:ietf:params:oauth:token-type:access_token" \
    --data-urlencode "subject_token_type=urn:ietf:params:oauth:token-type:jwt" \
    --data-urlencode "subject_token@$GOOGLE_DIR/subject-token" \
    "$STS_URL"
  local token
  token=$(json_field access_token "$GOOGLE_DIR/sts.json")
  [ -n "$token" ] || die "the token exchange answered without an access_token"
  printf 'Authorization: Bearer %s\n' "$token" >"$GOOGLE_DIR/authorization"
  rm -f "$GOOGLE_DIR/sts.json" "$GOOGLE_DIR/subject-token"
}

# Object names are [A-Za-z0-9._/-]: only "/" needs escaping in a URL path or query.
object_url_name() { printf '%s' "\${1//\//%2F}"; }

# gcs_upload <file> <object>: creates the object, never replaces one (ifGenerationMatch=0), and
# compares Google's MD5 of what it stored with the local file's.
gcs_upload() {
  local file=$1 object=$2 stored local_md5
  google_call "upload of gs://$BUCKET/$object" "$GOOGLE_DIR/upload.json" 200 \
    -X POST -H @"$GOOGLE_DIR/authorization" -H "Content-Type: application/octet-stream" -T "$file" \
    "$STORAGE_URL/upload/storage/v1/b/$BUCKET/o?uploadType=media&ifGenerationMatch=0&name=$(object_url_name "$object")"
  stored=$(json_field md5Hash "$GOOGLE_DIR/upload.json")
  local_md5=$(openssl dgst -md5 -binary "$file" | openssl base64 -A)
  [ "$stored" = "$local_md5" ] || die "gs://$BUCKET/$object: Google stored MD5 '$stored', the local file has '$local_md5'"
}

# gcs_list <prefix>: every object name under the prefix, one a line (all pages).
gcs_list() {
  local prefix=$1 page="" response="$GOOGLE_DIR/list.json"
  while :; do
    google_call "listing gs://$BUCKET/$prefix" "$response" 200 -G -H @"$GOOGLE_DIR/authorization" \
      --data-urlencode "prefix=$prefix" --data-urlencode "fields=items(name),nextPageToken" \
      \${page:+--data-urlencode "pageToken=$page"} "$STORAGE_URL/storage/v1/b/$BUCKET/o"
    tr -d '\n' <"$response" | grep -o '"name"[[:space:]]*:[[:space:]]*"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' || true
    page=$(json_field nextPageToken "$response")
    [ -n "$page" ] || return 0
  done
}

# gcs_download <object> <file>
gcs_download() {
  google_call "download of gs://$BUCKET/$1" "$2" 200 -H @"$GOOGLE_DIR/authorization" \
    "$STORAGE_URL/storage/v1/b/$BUCKET/o/$(object_url_name "$1")?alt=media"
}`;
