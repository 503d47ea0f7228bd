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
    return `#!/usr/bin/env bash
set -euo pipefail
export KUBECONFIG=/etc/kubernetes/admin.conf
namespaces=(${namespaces.join(" ")})
deadline=$((SECONDS + ${timeoutSeconds}))

for ns in "\${namespaces[@]}"; do
  kubectl get namespace "$ns" >/dev/null 2>&1 || continue
  if [ -n "$(kubectl -n "$ns" get statefulset -o name)" ]; then kubectl -n "$ns" scale statefulset --all --replicas=0; fi
  kubectl -n "$ns" delete pvc --all --wait=false
done

# PVs still bound to a claim in one of the namespaces: "<namespace>/<claim> <pv> <disk>".
remaining() {
  kubectl get pv -o jsonpath='{range .items[*]}{.spec.claimRef.namespace}/{.spec.claimRef.name} {.metadata.name} {.spec.csi.volumeHandle}{"\\n"}{end}' |
    grep -E "^($(IFS='|'; echo "\${namespaces[*]}"))/" || true
}

# Pods being deleted on nodes that are not Ready (their VM is gone): nothing will confirm their end.
force_stuck_pods() {
  local not_ready
  not_ready=$(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}' | awk '$2 != "True" {print $1}')
  [ -n "$not_ready" ] || return 0
  for ns in "\${namespaces[@]}"; do
    kubectl -n "$ns" get pods -o jsonpath='{range .items[?(@.metadata.deletionTimestamp)]}{.metadata.name} {.spec.nodeName}{"\\n"}{end}' 2>/dev/null |
      while read -r pod node; do
        if grep -qxF "$node" <<<"$not_ready"; then kubectl -n "$ns" delete pod "$pod" --force --grace-period=0 || true; fi
      done
  done
}

while left=$(remaining) && [ -n "$left" ]; do
  if ((SECONDS > deadline)); then
    echo "release-volumes: after ${timeoutSeconds}s these volumes (claim, PV, disk) are not deleted yet; run the destroy again, or delete the disks by hand:" >&2
    echo "$left" >&2
    exit 1
  fi
  force_stuck_pods
  sleep 10
done
echo "release-volumes: no volume of \${namespaces[*]} is left"
`;
}
