---------------------------------------------------------------------------
-- Tweaks for the stock snort.lua of Snort 3.11.1.0 used by the evaluation runs (see
-- ../README.md). Run from tests/eval/:
--
--   TZ=UTC snort -c /opt/snort3/etc/snort/snort.lua --tweaks snort3-eval \
--         --include-path config -R <rules> -r <scenario>/traffic.pcap -l <scenario> -k none -q
--
-- Everything not set here is the stock configuration (stream, wizard, binder,
-- http_inspect, port_scan = default_med_port_scan, ...). The built-in decoder and inspector
-- rules are on, as on a sensor. EVAL_GPL_FILTERS=1 adds the event_filter table that
-- snort2lua made from the GPL rules' threshold options (read in place from the corpus).
---------------------------------------------------------------------------

local home = '[10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,203.0.113.0/24,2001:db8:10::/48,fe80::/10]'
HOME_NET = home
EXTERNAL_NET = '!$HOME_NET'

local nets = default_variables.nets
nets.HOME_NET = home
nets.EXTERNAL_NET = '!$HOME_NET'
for _, v in ipairs({ 'DNS_SERVERS', 'FTP_SERVERS', 'HTTP_SERVERS', 'SIP_SERVERS',
                     'SMTP_SERVERS', 'SQL_SERVERS', 'SSH_SERVERS', 'TELNET_SERVERS' }) do
    nets[v] = '$HOME_NET'
end
nets.AIM_SERVERS = '$EXTERNAL_NET'
default_variables.ports.SHELLCODE_PORTS = '!80'

ips = { variables = default_variables, enable_builtin_rules = true }

alert_fast = { file = true }
alert_full = { file = true }
alert_json =
{
    file = true,
    fields = 'timestamp seconds pkt_num proto pkt_gen pkt_len dir src_addr src_port ' ..
             'src_ap dst_addr dst_port dst_ap eth_src eth_dst eth_type eth_len ' ..
             'ip_id ip_len tos ttl tcp_flags tcp_seq tcp_ack tcp_win tcp_len udp_len ' ..
             'icmp_type icmp_code icmp_id icmp_seq vlan mpls service ' ..
             'client_bytes client_pkts server_bytes server_pkts flowstart_time ' ..
             'gid sid rev msg class priority rule action b64_data',
}
unified2 = { legacy_events = false, nostamp = false }

if os.getenv('EVAL_GPL_FILTERS') == '1' then
    include '../../../../shared/corpus/snort-3.11.1-runs/config/gpl_event_filter.lua'
end
