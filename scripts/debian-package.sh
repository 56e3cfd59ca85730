#!/usr/bin/env bash
# Install the Debian packages that `make test` or `make run` need, with apt-get (through sudo when not root), or say
# clearly why it cannot and what to do.  Usage: scripts/debian-package.sh "PACKAGE [PACKAGE…]" "what needs it"
set -euo pipefail
package="$1"
need="$2"
if ! command -v apt-get >/dev/null; then
	echo "$need, and apt-get is not available to install it." >&2
	echo "Install your system's $package package, then run make test again." >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
	if ! command -v sudo >/dev/null; then
		echo "Installing $package needs root: run 'apt-get install $package' as root." >&2
		exit 1
	fi
	sudo="sudo"
fi
echo "Installing Debian's $package ($need)"
$sudo apt-get update -qq
# shellcheck disable=SC2086 # one or more package names, separated by spaces
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $package
