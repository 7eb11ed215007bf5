# The NoCloud seed, read the way cloud-init reads it, for /init (sourced; busybox ash).
#
# user-data may be (cloud-init's own rules, the subset below):
#   - "#cloud-config" YAML or JSON (flattened by yaml-flatten.awk);
#   - "#!" a script, run last, every boot, in /data, output on the console;
#   - a MIME multipart document (Content-Type: multipart/...; boundary=...) whose parts are
#     text/cloud-config, text/x-shellscript, or text/plain / application/octet-stream / untyped
#     parts recognised by their first line as above; Content-Transfer-Encoding base64 decoded;
#   - any of these gzip-compressed.
#   Other parts (text/cloud-boothook, text/x-include-url, nested multipart, ...) are reported as
#   ignored. Unlike cloud-init, scripts run at every boot, not once per instance: the console of every
#   boot then shows their output, which is what a host without a network path into the guest needs.
# Cloud-config keys applied (all others ignored; several parts apply in order):
#   users: list of "default" (ignored), a name, or {name, plain_text_passwd | passwd (a crypt hash),
#     lock_passwd (default true, as in cloud-init: the password is then set but locked),
#     ssh_authorized_keys: [...]}; the same name twice merges, later values win;
#   ssh_authorized_keys / password (top level): for the first user listed, else root;
#   chpasswd: {users: [{name, password, type: text|hash}]} or {list: "name:password" lines or list},
#     for users already defined (or root); expire is ignored;
#   hostname (or fqdn): overrides meta-data's local-hostname;
#   runcmd: list of strings (shell lines) or lists (words, quoted), run after the scripts of that part;
#   ssh_pwauth: accepted and ignored (there is no SSH server in the demo VM).

# The value at PATH in a flattened file ("" when absent).
flat_get() {
  awk -F '\t' -v k="$2" '$1 == k { print substr($0, length(k) + 2); exit }' "$1" | while IFS= read -r v; do printf '%b' "$v"; done
}
# Whether anything is at PATH or below it.
flat_has() { awk -F '\t' -v k="$2" '$1 == k || index($1, k ".") == 1 { found = 1; exit } END { exit !found }' "$1"; }

sanitize_hostname() {
  printf '%s' "$1" | tr -c 'A-Za-z0-9.-' '-' | cut -c 1-63 | sed 's/^[-.]*//; s/[-.]*$//; s/^$/localhost/'
}

PART=0
CC_LIST=""
# Classifies one user-data document (or MIME part) FILE of media type MEDIA ("" = sniff it).
classify_part() {
  file=$1; media=$2
  if [ "$(head -c 2 "$file" | od -An -tx1 | tr -d ' \n')" = "1f8b" ]; then
    gunzip -c "$file" >"$file.unz" 2>/dev/null && { classify_part "$file.unz" "$media"; return; }
  fi
  case "$media" in
    ""|text/plain|application/octet-stream|text/x-not-multipart)
      first=$(head -n 1 "$file" | tr -d '\r')
      case "$first" in
        '#cloud-config'*) media=text/cloud-config ;;
        '#!'*) media=text/x-shellscript ;;
        *) media="${media:-unknown}" ;;
      esac ;;
  esac
  PART=$((PART + 1))
  n=$(printf '%04d' "$PART")
  case "$media" in
    text/cloud-config)
      say "USERDATA part=$PART type=cloud-config"
      cp "$file" "/run/cimi/parts/$n.cloud-config"
      CC_LIST="$CC_LIST $n" ;;
    text/x-shellscript)
      say "USERDATA part=$PART type=shellscript"
      cp "$file" "/run/cimi/scripts/$n-shellscript"
      chmod 700 "/run/cimi/scripts/$n-shellscript" ;;
    *)
      say "USERDATA part=$PART type=ignored media=$(printf '%s' "$media" | tr -c 'A-Za-z0-9/.+-' '_')" ;;
  esac
}

read_user_data() {
  ud=$1
  [ -s "$ud" ] || return 0
  # A MIME document starts with headers; cloud-init calls it multipart when its Content-Type is.
  if sed -n '1,/^\r\{0,1\}$/p' "$ud" | grep -qi '^content-type:[[:space:]]*multipart/'; then
    dir=/run/cimi/mime
    mkdir -p "$dir"
    if count=$(awk -v OUT="$dir" -f "$LIB/mime-split.awk" "$ud"); then
      i=1
      while [ "$i" -le "$count" ]; do
        body="$dir/$i.body"
        if [ "$(cat "$dir/$i.encoding")" = base64 ]; then
          base64 -d "$body" >"$body.dec" 2>/dev/null || say "ERROR base64-part=$i"
          body="$body.dec"
        fi
        classify_part "$body" "$(cat "$dir/$i.type")"
        i=$((i + 1))
      done
      return 0
    fi
    say "ERROR mime-without-boundary"
    return 0
  fi
  classify_part "$ud" ""
}

# The users table: /run/cimi/users/<name>/{password,hash,lock,keys}, names in order in users.list.
user_dir() {
  d="/run/cimi/users/$1"
  if [ ! -d "$d" ]; then
    mkdir -p "$d"
    echo "$1" >>/run/cimi/users.list
  fi
  echo "$d"
}
first_user() { head -n 1 /run/cimi/users.list 2>/dev/null || echo root; }

apply_cloud_config() {
  flat="/run/cimi/parts/$1.flat"
  awk -f "$LIB/yaml-flatten.awk" "/run/cimi/parts/$1.cloud-config" >"$flat"
  h=$(flat_get "$flat" hostname); [ -n "$h" ] || h=$(flat_get "$flat" fqdn)
  [ -z "$h" ] || HOSTNAME_SET=$h
  i=0
  while flat_has "$flat" "users.$i"; do
    name=$(flat_get "$flat" "users.$i.name")
    [ -n "$name" ] || name=$(flat_get "$flat" "users.$i")
    if [ -n "$name" ] && [ "$name" != default ]; then
      d=$(user_dir "$name")
      v=$(flat_get "$flat" "users.$i.plain_text_passwd"); [ -z "$v" ] || { printf '%s' "$v" >"$d/password"; rm -f "$d/hash"; }
      v=$(flat_get "$flat" "users.$i.passwd"); [ -z "$v" ] || { printf '%s' "$v" >"$d/hash"; rm -f "$d/password"; }
      v=$(flat_get "$flat" "users.$i.lock_passwd"); [ -z "$v" ] || printf '%s' "$v" >"$d/lock"
      j=0
      while flat_has "$flat" "users.$i.ssh_authorized_keys.$j"; do
        flat_get "$flat" "users.$i.ssh_authorized_keys.$j" >>"$d/keys"; echo >>"$d/keys"
        j=$((j + 1))
      done
    fi
    i=$((i + 1))
  done
  if flat_has "$flat" ssh_authorized_keys || flat_has "$flat" password; then d=$(user_dir "$(first_user)"); fi
  j=0
  while flat_has "$flat" "ssh_authorized_keys.$j"; do
    flat_get "$flat" "ssh_authorized_keys.$j" >>"$d/keys"; echo >>"$d/keys"
    j=$((j + 1))
  done
  v=$(flat_get "$flat" password); [ -z "$v" ] || { printf '%s' "$v" >"$d/password"; rm -f "$d/hash"; }
  # chpasswd: the 22.x "users" form, then the older "list" form (a block of lines or a sequence).
  i=0
  while flat_has "$flat" "chpasswd.users.$i"; do
    name=$(flat_get "$flat" "chpasswd.users.$i.name"); v=$(flat_get "$flat" "chpasswd.users.$i.password")
    if [ -n "$name" ] && [ -n "$v" ]; then
      d=$(user_dir "$name")
      if [ "$(flat_get "$flat" "chpasswd.users.$i.type")" = hash ]; then printf '%s' "$v" >"$d/hash"; rm -f "$d/password"
      else printf '%s' "$v" >"$d/password"; rm -f "$d/hash"; fi
    fi
    i=$((i + 1))
  done
  { flat_get "$flat" chpasswd.list; echo; i=0
    while flat_has "$flat" "chpasswd.list.$i"; do flat_get "$flat" "chpasswd.list.$i"; echo; i=$((i + 1)); done
  } | while IFS= read -r line; do
    case "$line" in *:*) ;; *) continue ;; esac
    d=$(user_dir "${line%%:*}")
    printf '%s' "${line#*:}" >"$d/password"; rm -f "$d/hash"
  done
  # runcmd → one script, as cloud-init writes it: strings verbatim, lists as quoted words.
  if flat_has "$flat" runcmd; then
    s="/run/cimi/scripts/$1-runcmd"
    echo '#!/bin/sh' >"$s"
    i=0
    while flat_has "$flat" "runcmd.$i"; do
      if flat_has "$flat" "runcmd.$i.0"; then
        j=0; line=""
        while flat_has "$flat" "runcmd.$i.$j"; do
          w=$(flat_get "$flat" "runcmd.$i.$j" | sed "s/'/'\\\\''/g")
          line="$line '$w'"; j=$((j + 1))
        done
        echo "${line# }" >>"$s"
      else
        flat_get "$flat" "runcmd.$i" >>"$s"; echo >>"$s"
      fi
      i=$((i + 1))
    done
    chmod 700 "$s"
  fi
}

apply_cloud_configs() {
  for n in $CC_LIST; do apply_cloud_config "$n"; done
}

valid_user_name() { printf '%s' "$1" | grep -qE '^[a-z_][a-z0-9_.-]{0,31}$'; }

create_users() {
  if [ ! -s /run/cimi/users.list ]; then say "ADMIN none"; return 0; fi
  uid=1000
  while IFS= read -r name; do
    d="/run/cimi/users/$name"
    if ! valid_user_name "$name"; then
      say "ERROR invalid-user-name user=$(printf '%s' "$name" | tr -c 'A-Za-z0-9_.-' '_')"
      continue
    fi
    if [ -f "$d/password" ]; then hash=$(mkpasswd -m sha512 -P 0 <"$d/password"); pw=set
    elif [ -f "$d/hash" ]; then hash=$(cat "$d/hash"); pw=set
    else hash='!'; pw=unset; fi
    if [ "$pw" = set ] && [ "$(cat "$d/lock" 2>/dev/null || echo true)" != false ]; then hash="!$hash"; pw=locked; fi
    if [ "$name" = root ]; then
      home=/root; id=0
      sed -i "s|^root:[^:]*:|root:$(printf '%s' "$hash" | sed 's/[|&\\]/\\&/g'):|" /etc/shadow
    else
      while grep -q "^[^:]*:[^:]*:$uid:" /etc/passwd; do uid=$((uid + 1)); done
      home="/home/$name"; id=$uid
      echo "$name:x:$uid:$uid::$home:/bin/sh" >>/etc/passwd
      echo "$name:x:$uid:" >>/etc/group
      echo "$name:$hash:$(( $(date +%s) / 86400 )):0:99999:7:::" >>/etc/shadow
      mkdir -p "$home"
    fi
    key=unset
    if [ -s "$d/keys" ] && grep -q . "$d/keys"; then
      mkdir -p "$home/.ssh"
      grep . "$d/keys" >"$home/.ssh/authorized_keys"
      chmod 700 "$home/.ssh"; chmod 600 "$home/.ssh/authorized_keys"
      key=set
    fi
    chown -R "$id:$id" "$home"
    say "ADMIN user=$name password=$pw key=$key"
  done </run/cimi/users.list
}

run_scripts() {
  for s in /run/cimi/scripts/*; do
    [ -f "$s" ] || continue
    base=${s##*/}; part=$(echo "${base%%-*}" | sed 's/^0*//')
    kind=${base#*-}
    interp=$(head -n 1 "$s" | sed -n 's/^#![[:space:]]*\([^[:space:]]*\).*/\1/p')
    (
      cd /data || cd /
      export CIMI_BOOT_ID="$BOOT_ID" CIMI_INSTANCE_ID="$INSTANCE_ID" HOME=/root
      if [ -n "$interp" ] && [ -x "$interp" ]; then exec "$s"; else exec sh "$s"; fi
    ) </dev/null
    say "SCRIPT part=$part kind=$kind exit=$?"
  done
}

# network-config (cloud-init's version 2; the subset the CimiGrains QEMU driver writes, docs/NETWORKS.md): each
# "ethernets" entry is matched to a NIC by match.macaddress, renamed to set-name, given its mtu, its static
# addresses, a default route (routes[].to 0.0.0.0/0, ::/0 or default, or gateway4/gateway6) and other routes, and
# nameservers.addresses in /etc/resolv.conf. Lists each NIC it configured in /run/cimi/net.configured.
apply_network_config() {
  flat=/run/cimi/network.flat
  awk -f "$LIB/yaml-flatten.awk" "$1" >"$flat"
  v=$(flat_get "$flat" version)
  if [ "$v" != 2 ]; then say "ERROR network-config-version=$(printf '%s' "$v" | tr -c 'A-Za-z0-9' '_')"; return 0; fi
  for id in $(awk -F '\t' 'index($1, "ethernets.") == 1 { split($1, p, "."); if (!(p[2] in seen)) { seen[p[2]] = 1; print p[2] } }' "$flat"); do
    e="ethernets.$id"
    mac=$(flat_get "$flat" "$e.match.macaddress" | tr 'A-F' 'a-f')
    dev=""
    for n in /sys/class/net/*; do [ -n "$mac" ] && [ "$(cat "$n/address" 2>/dev/null)" = "$mac" ] && dev=${n##*/}; done
    # An entry without a match names its NIC directly.
    [ -n "$mac" ] || { [ -e "/sys/class/net/$id" ] && dev=$id; }
    if [ -z "$dev" ]; then say "ERROR network-config-no-nic id=$(printf '%s' "$id" | tr -c 'A-Za-z0-9_.:-' '_')"; continue; fi
    name=$(flat_get "$flat" "$e.set-name")
    if [ -n "$name" ] && [ "$name" != "$dev" ] && ip link set dev "$dev" name "$name" 2>/dev/null; then dev=$name; fi
    mtu=$(flat_get "$flat" "$e.mtu"); [ -z "$mtu" ] || ip link set dev "$dev" mtu "$mtu" || say "ERROR network-config-mtu dev=$dev"
    ip link set "$dev" up
    i=0
    while flat_has "$flat" "$e.addresses.$i"; do
      ip addr add "$(flat_get "$flat" "$e.addresses.$i")" dev "$dev" || say "ERROR network-config-address dev=$dev"
      i=$((i + 1))
    done
    gw4=$(flat_get "$flat" "$e.gateway4"); gw6=$(flat_get "$flat" "$e.gateway6")
    i=0
    while flat_has "$flat" "$e.routes.$i"; do
      to=$(flat_get "$flat" "$e.routes.$i.to"); via=$(flat_get "$flat" "$e.routes.$i.via")
      case "$to" in
        default|0.0.0.0/0) gw4=$via ;;
        ::/0) gw6=$via ;;
        *:*) ip -6 route add "$to" via "$via" dev "$dev" || say "ERROR network-config-route dev=$dev" ;;
        *) ip route add "$to" via "$via" dev "$dev" || say "ERROR network-config-route dev=$dev" ;;
      esac
      i=$((i + 1))
    done
    [ -z "$gw4" ] || ip route add default via "$gw4" dev "$dev" || say "ERROR network-config-gateway dev=$dev"
    [ -z "$gw6" ] || ip -6 route add default via "$gw6" dev "$dev" || say "ERROR network-config-gateway dev=$dev"
    i=0
    while flat_has "$flat" "$e.nameservers.addresses.$i"; do
      echo "nameserver $(flat_get "$flat" "$e.nameservers.addresses.$i")" >>/etc/resolv.conf
      i=$((i + 1))
    done
    echo "$dev" >>/run/cimi/net.configured
  done
}
