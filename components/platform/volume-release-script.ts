import { bash, HELPERS, renderScript, rootedPath, SYSTEM_PATHS, TEST_ROOT_SETTING, validatePositiveSeconds } from "../cluster/rendered/node-scripts-shell";

/** How long a destroy waits for the claims' disks to be deleted before it stops (and can be run again). */
export const VOLUME_RELEASE_TIMEOUT_SECONDS = 1200;

const NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The destroy-time script (on a control plane, as root, with the admin kubeconfig): it stops
 * the StatefulSets in `namespaces`, deletes their PersistentVolumeClaims and waits until every
 * PersistentVolume bound to one is gone, i.e. the CSI driver has deleted its disk (the class's
 * reclaimPolicy is Delete). Pods on a node whose VM is already gone never confirm their end and
 * would hold their claims forever: those are force-deleted. Idempotent: a destroy that stopped on
 * the timeout resumes where it was.
 */
export function renderReleaseVolumesScript(namespaces: readonly string[], timeoutSeconds = VOLUME_RELEASE_TIMEOUT_SECONDS): string {
    for (const namespace of namespaces) {
        if (!NAMESPACE_PATTERN.test(namespace)) throw new Error(`renderReleaseVolumesScript: "${namespace}" is not a namespace name`);
    }
    validatePositiveSeconds("timeoutSeconds", timeoutSeconds);
    return renderScript({
        name: "release-volumes",
        purpose: [
            "Before a destroy deletes the platform's releases, the CSI driver and the cluster: stops the",
            "StatefulSets of the namespaces below, deletes their claims and waits for the driver to delete",
            "their Persistent Disks. Runs as root over SSH on the first control plane; safe to run again.",
        ],
        settings: [
            "umask 077",
            TEST_ROOT_SETTING,
            rootedPath("ADMIN_CONF", SYSTEM_PATHS.adminKubeconfig),
            `readonly NAMESPACES=(${namespaces.join(" ")})`,
            `readonly WAIT_SECONDS=${timeoutSeconds}`,
        ],
        helpers: [
            HELPERS.waits,
            HELPERS.kubectl,
            bash`
# remaining: the PVs still bound to a claim in one of NAMESPACES, "<namespace>/<claim> <pv> <disk>".
remaining() {
  kc get pv -o jsonpath='{range .items[*]}{.spec.claimRef.namespace}/{.spec.claimRef.name} {.metadata.name} {.spec.csi.volumeHandle}{"\n"}{end}' |
    grep -E "^($(IFS='|'; echo "\${NAMESPACES[*]}"))/" || true
}

# force_stuck_pods: pods being deleted on nodes that are not Ready (their VM is gone): nothing will confirm their end.
force_stuck_pods() {
  local not_ready ns pod node
  not_ready=$(kc get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | awk '$2 != "True" {print $1}')
  [ -n "$not_ready" ] || return 0
  for ns in "\${NAMESPACES[@]}"; do
    kc -n "$ns" get pods -o jsonpath='{range .items[?(@.metadata.deletionTimestamp)]}{.metadata.name} {.spec.nodeName}{"\n"}{end}' 2>/dev/null |
      while read -r pod node; do
        if grep -qxF "$node" <<<"$not_ready"; then kc -n "$ns" delete pod "$pod" --force --grace-period=0 || true; fi
      done
  done
}`,
        ],
        body: bash`
main() {
  local ns left deadline
  for ns in "\${NAMESPACES[@]}"; do
    kc get namespace "$ns" >/dev/null 2>&1 || continue
    if [ -n "$(kc -n "$ns" get statefulset -o name)" ]; then kc -n "$ns" scale statefulset --all --replicas=0; fi
    kc -n "$ns" delete pvc --all --wait=false
  done
  deadline=$((SECONDS + $(wait_limit "$WAIT_SECONDS")))
  while left=$(remaining) && [ -n "$left" ]; do
    [ "$SECONDS" -lt "$deadline" ] ||
      die "after $(wait_limit "$WAIT_SECONDS")s these volumes (claim, PV, disk) are not deleted yet; run the destroy again, or delete the disks by hand:"$'\n'"$left"
    force_stuck_pods
    sleep 10
  done
  log "no volume of \${NAMESPACES[*]} is left"
}

main "$@"`,
    });
}
