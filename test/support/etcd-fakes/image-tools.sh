# shellcheck shell=bash
# Shared by the fake crictl and ctr: run a tool "inside the etcd image" on the test host.
# Container paths are host paths under the test root (the etcd pod's hostPath mounts).
rewrite() {
  local a
  for a in "$@"; do
    case "$a" in
      /var/lib/* | /etc/kubernetes/*) printf '%s\0' "$BOUTIQUE_TEST_ROOT$a" ;;
      --*=/var/lib/* | --*=/etc/kubernetes/*) printf '%s\0' "${a%%=*}=$BOUTIQUE_TEST_ROOT${a#*=}" ;;
      *) printf '%s\0' "$a" ;;
    esac
  done
}

# run_tool <tool> <args...>: etcdctl is Debian's (3.4). etcdutl exists only when
# FAKE_IMAGE_HAS_ETCDUTL=1 (like etcd's own 3.6 images) and is translated to 3.4's etcdctl,
# which has the same snapshot commands but no revision bump.
run_tool() {
  local tool=$1 args=() kept=() skip=0 a
  shift
  mapfile -d '' args < <(rewrite "$@")
  case "$tool" in
    etcdctl) exec env ETCDCTL_API=3 etcdctl "${args[@]}" ;;
    etcdutl)
      if [ "${FAKE_IMAGE_HAS_ETCDUTL:-0}" != 1 ]; then
        echo "exec: \"etcdutl\": executable file not found in \$PATH" >&2
        exit 127
      fi
      for a in "${args[@]}"; do
        if [ "$skip" = 1 ]; then
          skip=0
          continue
        fi
        case "$a" in
          --bump-revision) skip=1 ;;
          --mark-compacted) ;;
          *) kept+=("$a") ;;
        esac
      done
      exec env ETCDCTL_API=3 etcdctl "${kept[@]}"
      ;;
    *)
      echo "exec: \"$tool\": executable file not found in \$PATH" >&2
      exit 127
      ;;
  esac
}
