#!/usr/bin/env bash
# Prepares what the H100 needs for the faststart run and cannot download there:
#   .gpu/p0, .gpu/p1, .gpu/p2   the vLLM 0.26 bundle (../shared/gpu), one part per call
#   .gpu/p3                     serverless-llm-store 0.8.0 sdist (PyPI), glog 0.6.0 and
#                               googletest 1.12.1 sources (Debian bookworm source packages),
#                               the sllm-doctor binary (static Swift runtime, stripped, xz)
# Everything comes from PyPI and Debian; nothing is built here but our own binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-../shared/gpu}
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo /.gpu/ >> .git/info/exclude
for i in 0 1 2; do mkdir -p .gpu/p$i; cp "$SHARED/vllm-bundle.tar.part$i" .gpu/p$i/; done
mkdir -p .gpu/p3
sdist=serverless_llm_store-0.8.0.tar.gz
if [ ! -s ".gpu/p3/$sdist" ]; then
  # pip's own client fetches the sdist (no index host is named here).
  python3 -m pip download -q --no-deps --no-binary :all: --no-build-isolation -d .gpu/p3 serverless-llm-store==0.8.0
fi
echo "a408b6d5b2d4950256a8498970053a72147f8c3f760b2df4736b166bd70d7f80  .gpu/p3/$sdist" | sha256sum -c -
if [ ! -s .gpu/p3/google-glog_0.6.0.orig.tar.gz ] || [ ! -s .gpu/p3/googletest_1.12.1.orig.tar.gz ]; then
  # Debian's source packages (needs a deb-src line for bookworm: the machine's own source URI
  # is reused, so no mirror host is written here).
  if ! apt-get source --print-uris google-glog >/dev/null 2>&1; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null)
    [ -n "$uri" ] || uri=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list)
    printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
      > /etc/apt/sources.list.d/sllm-doctor-src.sources
    apt-get update -qq
  fi
  (cd .gpu/p3 && apt-get source -qq --download-only google-glog=0.6.0-2 googletest=1.12.1-0.2)
fi
export PATH="$PATH:/opt/swift/usr/bin"
swift build -c release --static-swift-stdlib --product sllm-doctor
cp .build/release/sllm-doctor .gpu/sllm-doctor && strip .gpu/sllm-doctor
xz -9 -T2 -c .gpu/sllm-doctor > .gpu/p3/sllm-doctor.xz && rm .gpu/sllm-doctor
du -sh .gpu/p*
