#!/usr/bin/perl
# ICMP echo with the don't-fragment bit forced (IP_PMTUDISC_DO), as `ping -M do -s SIZE` sends it.
# Usage: df-ping.pl DEST SIZE COUNT TIMEOUT_SECONDS. Prints one line per attempt and exits 0 when a
# reply came back, 1 otherwise.
use strict;
use warnings;
use Socket qw(PF_INET SOCK_RAW IPPROTO_IP inet_aton sockaddr_in inet_ntoa);

my ($dest, $size, $count, $timeout) = @ARGV;
my $IP_MTU_DISCOVER = 10;
my $IP_PMTUDISC_DO  = 2;
socket(my $s, PF_INET, SOCK_RAW, 1) or die "socket: $!\n";
setsockopt($s, IPPROTO_IP, $IP_MTU_DISCOVER, pack('i', $IP_PMTUDISC_DO)) or die "setsockopt: $!\n";
my $id = $$ & 0xffff;
my $addr = sockaddr_in(0, inet_aton($dest));
my $ok = 0;

sub csum {
  my $d = shift;
  $d .= "\0" if length($d) % 2;
  my $sum = 0;
  $sum += $_ for unpack('n*', $d);
  $sum = ($sum >> 16) + ($sum & 0xffff) while $sum >> 16;
  return ~$sum & 0xffff;
}

for my $seq (1 .. $count) {
  my $payload = 'x' x $size;
  my $msg = pack('CCnnn', 8, 0, 0, $id, $seq) . $payload;
  substr($msg, 2, 2) = pack('n', csum($msg));
  if (!defined send($s, $msg, 0, $addr)) {
    print "seq=$seq send: $!\n";
    next;
  }
  my $deadline = time + $timeout;
  my $got = 0;
  while (!$got) {
    my $left = $deadline - time;
    last if $left <= 0;
    my $rin = '';
    vec($rin, fileno($s), 1) = 1;
    last unless select(my $rout = $rin, undef, undef, $left);
    my $from = recv($s, my $buf, 65535, 0);
    next unless defined $from;
    my $ihl = (ord(substr($buf, 0, 1)) & 0x0f) * 4;
    my ($type, $code) = unpack('CC', substr($buf, $ihl, 2));
    my $src = inet_ntoa(substr($buf, 12, 4));
    if ($type == 0) {
      my ($rid, $rseq) = unpack('nn', substr($buf, $ihl + 4, 4));
      next unless $rid == $id && $rseq == $seq;
      print "seq=$seq reply from $src bytes=" . (length($buf) - $ihl) . "\n";
      $got = 1; $ok = 1;
    } elsif ($type == 3) {
      my $inner = substr($buf, $ihl + 8);
      my $iihl = (ord(substr($inner, 0, 1)) & 0x0f) * 4;
      my ($iid, $iseq) = unpack('nn', substr($inner, $iihl + 4, 4));
      next unless $iid == $id;
      my $mtu = unpack('n', substr($buf, $ihl + 6, 2));
      print $code == 4 ? "seq=$seq from $src: Frag needed and DF set (mtu = $mtu)\n" : "seq=$seq from $src: Destination unreachable (code $code)\n";
      $got = 1;
    }
  }
  print "seq=$seq timeout\n" unless $got;
}
exit($ok ? 0 : 1);
