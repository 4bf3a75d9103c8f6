#!/usr/bin/perl
# Prints the regex rules SpamAssassin itself defines from a rule directory,
# after its if/ifplugin conditions and redefinitions: one line per rule,
# NAME<TAB>TYPE<TAB>SCORE<TAB>TFLAGS, TYPE one of header, body, rawbody,
# uri, full, mimeheader; SCORE is the score of set 0 (no network tests, no
# Bayes), the set "spamassassin -L" runs with; 0 means the rule does not run.
# Header "exists:" tests, eval: tests and metas are left out.
# Usage: sa-compare-rules.pl RULEDIR SITEDIR
use strict;
use warnings;
use Mail::SpamAssassin;

my ($rules, $site) = @ARGV;
die "usage: $0 RULEDIR SITEDIR\n" unless defined $site;
my $sa = Mail::SpamAssassin->new({
	rules_filename => $rules,
	site_rules_filename => $site,
	userprefs_filename => '/dev/null',
	dont_copy_prefs => 1,
	local_tests_only => 1,
	post_config_text => "use_bayes 0\nbayes_auto_learn 0\n",
});
$sa->init(1);
my $conf = $sa->{conf};
my %type_name = (
	$Mail::SpamAssassin::Conf::TYPE_HEAD_TESTS => 'header',
	$Mail::SpamAssassin::Conf::TYPE_BODY_TESTS => 'body',
	$Mail::SpamAssassin::Conf::TYPE_RAWBODY_TESTS => 'rawbody',
	$Mail::SpamAssassin::Conf::TYPE_URI_TESTS => 'uri',
	$Mail::SpamAssassin::Conf::TYPE_FULL_TESTS => 'full',
);
# MIMEHeader registers its rules as body evals and keeps the regexes apart.
my %mimeheader = map { $_ => 1 } keys %{$conf->{mimeheader_tests} || {}};
my %type;
for my $name (keys %{$conf->{test_types}}) {
	my $type = $mimeheader{$name} ? 'mimeheader' : $type_name{$conf->{test_types}{$name}};
	next unless defined $type;
	next if $type eq 'header' && $conf->{test_opt_exists}{$name};
	$type{$name} = $type;
}

# A meta is compared when every rule it depends on, through other metas, is
# a regex rule: its result then depends on regex matching alone.
my %pure;
sub pure_meta {
	my ($name, $seen) = @_;
	return $pure{$name} if exists $pure{$name};
	return 0 if $seen->{$name}++;
	my $deps = $conf->{meta_dependencies}{$name} or return $pure{$name} = 0;
	my $ok = 1;
	for my $dep (@$deps) {
		next if exists $type{$dep};
		my $t = $conf->{test_types}{$dep};
		if (!defined $t || $t != $Mail::SpamAssassin::Conf::TYPE_META_TESTS ||
		    !pure_meta($dep, $seen)) {
			$ok = 0;
			last;
		}
	}
	return $pure{$name} = $ok;
}
for my $name (keys %{$conf->{test_types}}) {
	next unless $conf->{test_types}{$name} == $Mail::SpamAssassin::Conf::TYPE_META_TESTS;
	$type{$name} = 'meta' if pure_meta($name, {});
}
for my $name (sort keys %type) {
	my $score = $conf->{scoreset}[0]{$name} // 0;
	print join("\t", $name, $type{$name}, $score, $conf->{tflags}{$name} // ''), "\n";
}
