#!/usr/bin/perl
# The peer of `smokeflow-bench alert`: SmokePing's own check_alerts (the installed
# Smokeping.pm) on the same rounds, rules and targets (TARGETS targets x 3 rules, ROUNDS rounds
# each, see Benchmarks/smokeflow-bench/AlertBenchmark.swift). No mail, no program: nothing is
# configured to receive; the log lines are only counted. Prints nanoseconds per round and the
# edges (raised, cleared, active), which `smokeflow-bench alert` prints for the same rounds.
#   perl scripts/lib/smokeping-alert-bench.pl [TARGETS] [ROUNDS]
use strict;
use warnings;
use lib '/usr/share/perl5';
use Smokeping;
use Time::HiRes qw(time);
no warnings;

my ($targets, $rounds) = (shift // 10000, shift // 10);
my $edges = 0;
{
    no strict 'refs';
    *{'Smokeping::do_log'} = sub { $edges++ if $_[0] =~ /^Alert \S+ (was raised|was cleared|is active) for/ };
    *{'Smokeping::do_debuglog'} = sub {};
}
my $cfg = { General => { datadir => '/data', cgiurl => 'http://x/' }, Alerts => { from => 'a@b', to => '',
    someloss => { type => 'loss', pattern => '>0%,*12*,>0%,*12*,>0%', comment => 'c', edgetrigger => 'yes' },
    threeinarow => { type => 'loss', pattern => '>0%,>0%,>0%', comment => 'c', edgetrigger => 'yes' },
    bigrtt => { type => 'rtt', pattern => '<100,<100,>200,>200,>200', comment => 'c', edgetrigger => 'no' } } };
Smokeping::init_alerts($cfg);
my @trees = map { { alerts => [qw(someloss threeinarow bigrtt)], host => "h$_", fetchlength => 27 } } 0 .. $targets - 1;
my $start = time;
for my $round (0 .. $rounds - 1) {
    for my $target (0 .. $targets - 1) {
        my $lost = ($round + $target) % 17 < 3 ? 5 : (($round * 7 + $target) % 11 == 0 ? 1 : 0);
        my $median = $lost == 5 ? 'U' : (($round + $target) % 23 < 4 ? 0.25 : 0.02);
        Smokeping::check_alerts($cfg, $trees[$target], 5, "/data/Core/t$target", 'host', $lost, $median, undef);
    }
}
my $elapsed = time - $start;
printf "smokeping_check_alerts_ns_per_point %.0f ns (%d targets x 3 rules, %d rounds, %d edges)\n", $elapsed / ($targets * $rounds) * 1e9, $targets, $rounds, $edges;
