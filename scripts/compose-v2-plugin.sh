#!/usr/bin/env bash
# Puts Debian trixie's compose v2 CLI plugin (package docker-compose, 2.26.x) in a private
# DOCKER_CONFIG for the tests that compare our verdicts with compose v2's `config`:
#   scripts/compose-v2-plugin.sh      → prints the DOCKER_CONFIG folder (…/cli-plugins/docker-compose)
# The package is fetched with `apt-get download` through a private apt configuration that points
# at trixie on the archive URIs this machine already uses (read from /etc/apt at run time); the
# machine's own apt state is not touched. Cached in $SLLM_TEST_IMAGE_CACHE (one download per
# machine). Exit 1, with the reason on stderr, when it cannot be had.
set -uo pipefail
cache=${SLLM_TEST_IMAGE_CACHE:-/var/cache/sllm-doctor}
config="$cache/compose-v2"
plugin="$config/cli-plugins/docker-compose"
if [ -x "$plugin" ] && "$plugin" version >/dev/null 2>&1; then echo "$config"; exit 0; fi
command -v apt-get >/dev/null && command -v dpkg >/dev/null || { echo "compose-v2-plugin: no apt-get/dpkg" >&2; exit 1; }

# The Debian archive URI this machine uses (deb822 .sources first, then one-line lists); the
# security archive serves no trixie main.
uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk 'tolower($1)=="uris:" { for (i = 2; i <= NF; i++) print $i }' |
      grep -v -- '-security' | head -1)
[ -n "$uri" ] || uri=$(grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -E 's/\[[^]]*\]//' | awk '{ print $2 }' | grep -v -- '-security' | head -1)
[ -n "$uri" ] || { echo "compose-v2-plugin: no Debian archive URI in /etc/apt/sources.list{,.d}" >&2; exit 1; }
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || { echo "compose-v2-plugin: no $keyring (debian-archive-keyring)" >&2; exit 1; }

work=$(mktemp -d /tmp/sllm-compose-v2.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/etc/parts" "$work/etc/prefs"
echo "deb [signed-by=$keyring] $uri trixie main" >"$work/etc/sources.list"
: >"$work/status"
apt_opts=(-o "Dir::Etc::SourceList=$work/etc/sources.list" -o "Dir::Etc::SourceParts=$work/etc/parts"
          -o "Dir::Etc::Preferences=$work/etc/preferences" -o "Dir::Etc::PreferencesParts=$work/etc/prefs"
          -o "Dir::State::Lists=$work/lists" -o "Dir::State::status=$work/status" -o "Dir::Cache=$work/cache"
          -o "Dir::Cache::archives=$work/archives" -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
if ! apt-get -qq "${apt_opts[@]}" update >"$work/log" 2>&1; then
  echo "compose-v2-plugin: apt-get update for trixie failed:" >&2; tail -3 "$work/log" >&2; exit 1
fi
if ! (cd "$work" && apt-get -qq "${apt_opts[@]}" download docker-compose >>"$work/log" 2>&1); then
  echo "compose-v2-plugin: apt-get download docker-compose (trixie) failed:" >&2; tail -3 "$work/log" >&2; exit 1
fi
deb=$(ls "$work"/docker-compose_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] && dpkg -x "$deb" "$work/x" || { echo "compose-v2-plugin: dpkg -x failed" >&2; exit 1; }
found="$work/x/usr/libexec/docker/cli-plugins/docker-compose"
[ -x "$found" ] || { echo "compose-v2-plugin: no cli-plugins/docker-compose in $(basename "$deb")" >&2; exit 1; }
mkdir -p "$config/cli-plugins" && cp "$found" "$plugin.tmp" && mv "$plugin.tmp" "$plugin" ||
  { echo "compose-v2-plugin: cannot write $config" >&2; exit 1; }
"$plugin" version >/dev/null 2>&1 || { echo "compose-v2-plugin: $plugin does not run" >&2; exit 1; }
echo "$config"
