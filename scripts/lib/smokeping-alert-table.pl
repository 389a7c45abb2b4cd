#!/usr/bin/perl
# The table the alert pattern unit tests check against (fixtures/alerts/smokeping-patterns.tsv):
# patterns compiled by the installed SmokePing's own init_alerts (Debian smokeping 2.7.3,
# /usr/share/perl5/Smokeping.pm), each run on seeded random histories. Regenerate with
#   perl scripts/lib/smokeping-alert-table.pl > fixtures/alerts/smokeping-patterns.tsv
# Columns: type, pattern, history (oldest first, comma-separated; S the start marker, U no
# value; rtt in seconds as SmokePing keeps it), 1 when the pattern matches, else 0.
use strict;
use warnings;
use lib '/usr/share/perl5';
use Smokeping;
no warnings;

my @patterns = (
    [loss => '>0%,*12*,>0%,*12*,>0%'],
    [loss => '==0%,==0%,==0%,==0%,>20%,>20%,>20%'],
    [loss => '>10%,*10*,>10%'],
    [loss => '==S,>20%,>20%'],
    [loss => '>45%<=55%'],
    [loss => '>0%'],
    [loss => '>0%,>0%,>0%'],
    [loss => '==0%,>0%'],
    [loss => '>0%,==0%'],
    [loss => '*3*,>0%'],
    [loss => '>0%,*3*'],
    [loss => '>0%,*2*,*2*,>0%'],
    [loss => '==*,>50%,==*'],
    [loss => '>=25%,*5*,<=5%'],
    [loss => '!=0%,!=0%'],
    [loss => '==100%,==100%,==100%'],
    [loss => '>0%,*1*,>0%'],
    [loss => '<50%,*4*,>=50%,*4*,>=50%,*4*,>=50%'],
    [rtt => '<10,<10,<10,<10,<10,<100,>100,>100,>100'],
    [rtt => '==S,==U'],
    [rtt => '<100,<100,>200,>200,>200'],
    [rtt => '==U,==U'],
    [rtt => '!=U,==U'],
    [rtt => '>100,*6*,>100'],
    [rtt => '>50<150,>50<150'],
    [rtt => '==U,*3*,!=U'],
    [rtt => '<=20,>=200'],
);

# Prints the row of a history not printed before; true when it did.
sub emit {
    my ($type, $pattern, $sub, $seen, @history) = @_;
    my $text = join ',', @history;
    return 0 if $seen->{$text}++;
    my @y = map { $_ eq 'U' ? undef : $_ } @history;
    my $match = $sub->({ $type => \@y }) ? 1 : 0;
    print "$type\t$pattern\t$text\t$match\n";
    return 1;
}

srand(14);
my @loss = (0, 0, 0, 5, 10, 20, 25, 50, 55, 100);
my @rtt = (0.001, 0.009, 0.05, 0.12, 0.15, 0.21, 0.25, 'U');
for my $entry (@patterns) {
    my ($type, $pattern) = @$entry;
    my $cfg = { Alerts => { a => { type => $type, pattern => $pattern, comment => 'table' } } };
    Smokeping::init_alerts($cfg);
    my $sub = $cfg->{Alerts}{a}{sub};
    my $values = $type eq 'loss' ? \@loss : \@rtt;
    my $rows = 0;
    my %seen;
    # Half the rows are built to nearly match: a value that passes each element (found by
    # SmokePing's own code for that element alone), wildcards filled with 0 to N values, a
    # random prefix, then a random change or none.
    my @ops = split /\s*,\s*/, $pattern;
    while ($rows < 24) {
        my @history = rand() < 0.5 ? () : map { $values->[int(rand(@$values))] } 1 .. int(rand(6));
        unshift @history, 'S' if rand() < 0.3;
        for my $op (@ops) {
            if ($op =~ /^\*(\d+)\*$/) {
                push @history, map { $values->[int(rand(@$values))] } 1 .. int(rand($1 + 1));
                next;
            }
            my $one = { Alerts => { b => { type => $type, pattern => $op, comment => 'element' } } };
            Smokeping::init_alerts($one);
            my @passing = grep { my $v = $_; $one->{Alerts}{b}{sub}->({ $type => [$v eq 'U' ? undef : $v] }) } (@$values, 'S');
            push @history, @passing ? $passing[int(rand(@passing))] : $values->[0];
        }
        if (@history && rand() < 0.4) { $history[int(rand(@history))] = $values->[int(rand(@$values))] }
        $rows++ if emit($type, $pattern, $sub, \%seen, @history);
    }
    while ($rows < 48) {
        my $length = int(rand(31));
        # Mostly one value at a time with runs, as real rounds come.
        my @history;
        push @history, 'S' if rand() < 0.3;
        my $current = $values->[int(rand(@$values))];
        while (@history < $length) {
            $current = $values->[int(rand(@$values))] if rand() < 0.35;
            push @history, $current;
        }
        $rows++ if emit($type, $pattern, $sub, \%seen, @history);
    }
}
