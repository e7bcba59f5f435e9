#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A private apt configuration for fetching kernel packages from suites the
# host does not use (trixie, trixie-backports), without touching the host's
# own apt state.  The mirror URI is taken from the host's apt sources at run
# time; no registry host name is written into the repository.
#
# Usage (sourced):  apt_private_init DIR SUITE...; apt_p <apt-get|apt-cache> ARGS...
# A SUITE ending in -security is fetched from the security archive.

# The host's URIs (deb822 stanzas, then one-line sources), one per line.
apt_host_uris() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' "$f"
	done
	[ -f /etc/apt/sources.list ] &&
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' \
			/etc/apt/sources.list
	return 0
}

# The main archive: the first URI that is not the security archive (which
# lacks backports).
apt_mirror_uri() {
	local uri
	uri=$(apt_host_uris | grep -v -- '-security' | head -n1)
	[ -n "$uri" ] && { echo "$uri"; return 0; }
	echo "apt-private: no mirror URI in the host's apt sources" >&2
	return 1
}

# The security archive (SUITE-security): the host's own if it has one, else
# the main archive's URI with "-security" appended, the layout of Debian's
# mirrors (.../debian -> .../debian-security).
apt_security_uri() {
	local uri
	uri=$(apt_host_uris | grep -- '-security' | head -n1)
	[ -n "$uri" ] || uri=$(apt_mirror_uri | sed 's|/*$|-security|') || return 1
	echo "$uri"
}

# apt_private_init DIR SUITE...
apt_private_init() {
	APT_PRIV_DIR=$1
	shift
	local uri suite
	local sec_uri
	uri=$(apt_mirror_uri) || return 1
	sec_uri=$(apt_security_uri) || return 1
	mkdir -p "$APT_PRIV_DIR/sources" "$APT_PRIV_DIR/lists/partial" \
		"$APT_PRIV_DIR/cache/archives/partial"
	: > "$APT_PRIV_DIR/sources/private.sources.new.$$"
	for suite in "$@"; do
		cat >> "$APT_PRIV_DIR/sources/private.sources.new.$$" <<-EOF
		Types: deb
		URIs: $(case $suite in *-security) echo "$sec_uri" ;; *) echo "$uri" ;; esac)
		Suites: $suite
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

		EOF
	done
	mv "$APT_PRIV_DIR/sources/private.sources.new.$$" "$APT_PRIV_DIR/sources/private.sources"
	# Refresh the private lists at most once an hour, one updater at a time.
	(
		flock 7
		if [ -z "$(find "$APT_PRIV_DIR/lists" -maxdepth 1 -name '*Packages*' -mmin -60 2>/dev/null | head -n1)" ]; then
			if ! apt_p apt-get -qq update > "$APT_PRIV_DIR/update.log" 2>&1; then
				cat "$APT_PRIV_DIR/update.log" >&2
				exit 1
			fi
		fi
	) 7>"$APT_PRIV_DIR/.update.lock" || return 1
}

apt_p() {
	local tool=$1
	shift
	"$tool" -o Dir::Etc::SourceList=/dev/null \
		-o Dir::Etc::SourceParts="$APT_PRIV_DIR/sources" \
		-o Dir::State::Lists="$APT_PRIV_DIR/lists" \
		-o Dir::Cache="$APT_PRIV_DIR/cache" \
		-o Dir::State::status=/var/lib/dpkg/status \
		-o Debug::NoLocking=1 \
		-o APT::Sandbox::User=root \
		-o APT::Get::List-Cleanup=0 "$@"
}

# apt_candidate PKG -> version string of the candidate in the private lists
apt_candidate() {
	apt_p apt-cache policy "$1" | awk '/Candidate:/ { print $2 }'
}
