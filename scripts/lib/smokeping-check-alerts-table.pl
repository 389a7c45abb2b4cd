#!/usr/bin/perl
# Round-by-round what the installed SmokePing's own check_alerts (Smokeping.pm, Debian 2.7.3)
# reports for seeded scenarios (fixtures/alerts/smokeping-check-alerts.tsv), for the alert
# state unit tests: edges (edgetrigger), every matching round (without), priorities. Its log
# line "Alert NAME was raised|was cleared|is active" is captured; no mail, no program runs.
#   perl scripts/lib/smokeping-check-alerts-table.pl > fixtures/alerts/smokeping-check-alerts.tsv
# Lines: "scenario N", then "rule NAME TYPE PATTERN EDGETRIGGER(yes|no) PRIORITY(-|n)" lines, then
# "round LOST PINGS RTT(seconds|U) EVENTS" (EVENTS: NAME:raised|cleared|active,… or -).
use strict;
use warnings;
use lib '/usr/share/perl5';
use Smokeping;
no warnings;

my @events;
{
    no strict 'refs';
    *{'Smokeping::do_log'} = sub { my $line = shift; push @events, "$1:" . ($2 eq 'was raised' ? 'raised' : $2 eq 'was cleared' ? 'cleared' : 'active') if $line =~ /^Alert (\S+) (was raised|was cleared|is active) for/ };
    *{'Smokeping::do_debuglog'} = sub {};
}

my @library = (
    [loss => '>0%,*12*,>0%,*12*,>0%'], [loss => '>0%,>0%,>0%'], [loss => '==0%,>20%,>20%'], [loss => '>10%,*4*,>10%'],
    [loss => '==S,>0%'], [loss => '>=50%'], [rtt => '<100,>200,>200'], [rtt => '==U'], [rtt => '>150,*3*,>150'],
);
srand(14);
my $pings = 5;
my @rtt = (0.01, 0.05, 0.12, 0.25, 'U');
for my $scenario (1 .. 40) {
    my $cfg = { General => { datadir => '/data', cgiurl => 'http://x/' }, Alerts => { from => 'a@b', to => '' } };
    my @names;
    my $count = 1 + int(rand(3));
    for my $index (1 .. $count) {
        my ($type, $pattern) = @{ $library[int(rand(@library))] };
        my $name = "r$index";
        $cfg->{Alerts}{$name} = { type => $type, pattern => $pattern, comment => 'c',
            edgetrigger => (rand() < 0.6 ? 'yes' : 'no'), (rand() < 0.4 ? (priority => 1 + int(rand(3))) : ()) };
        push @names, $name;
    }
    Smokeping::init_alerts($cfg);
    my $tree = { alerts => [@names], host => 'h' };
    $tree->{fetchlength} = 0;
    for (@names) { $tree->{fetchlength} = $cfg->{Alerts}{$_}{maxlength} if $tree->{fetchlength} < $cfg->{Alerts}{$_}{maxlength} }
    print "scenario $scenario\n";
    for (@names) {
        my $alert = $cfg->{Alerts}{$_};
        print "rule $_ $alert->{type} $alert->{pattern} $alert->{edgetrigger} ", ($alert->{priority} // '-'), "\n";
    }
    my $lost = 0;
    my $rtt = 0.01;
    for my $round (1 .. 40) {
        $lost = int(rand($pings + 1)) if rand() < 0.3;
        $lost = 0 if rand() < 0.15;
        $rtt = $rtt[int(rand(@rtt))] if rand() < 0.3;
        my $median = $lost == $pings ? 'U' : $rtt eq 'U' ? 'U' : $rtt;
        @events = ();
        Smokeping::check_alerts($cfg, $tree, $pings, '/data/T/h', 'host', $lost, $median, undef);
        print "round $lost $pings $median ", (@events ? join(',', @events) : '-'), "\n";
    }
}
