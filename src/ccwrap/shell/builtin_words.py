"""The names an alias must not take in each shell: builtins and reserved words (data only)."""

from __future__ import annotations

from collections.abc import Mapping

from ccwrap.shell.kinds import Shell

# Builtins and reserved words, as `compgen -b; compgen -k` (bash 5.2), `${(k)builtins}
# ${(k)reswords}` (zsh 5.9) and `builtin -n` (fish 3.6) list them; for PowerShell its keywords
# and the default aliases (PowerShell compares names case-insensitively).
_BASH = """. : [ alias bg bind break builtin caller cd command compgen complete compopt continue
declare dirs disown echo enable eval exec exit export false fc fg getopts hash help history jobs
kill let local logout mapfile popd printf pushd pwd read readarray readonly return set shift shopt
source suspend test times trap true type typeset ulimit umask unalias unset wait if then else elif
fi case esac for select while until do done in function time { } ! [[ ]] coproc"""
_ZSH = """unset rehash popd ulimit local jobs disable [ compfiles printf autoload noglob pushln zle
readonly exit false times sched setopt getln builtin let bg which unhash pwd zparseopts logout
disown type source eval comptags compdescribe compctl r zmodload zregexparse history return exec
compadd emulate chdir ttyctl test comparguments pushd functions float zstyle print declare comptry
alias shift - . bindkey typeset true hash compset cd compvalues getopts compgroups export enable
limit echotc echo wait dirs unsetopt read : integer bye echoti compquote unfunction fc vared unalias
kill compcall where fg zformat suspend unlimit break set continue command zcompile whence umask trap
log private if function else end do then { select coproc } ! case [[ repeat done for while time esac
until fi nocorrect foreach elif"""
_FISH = """. : [ _ abbr and argparse begin bg bind block break breakpoint builtin case cd command
commandline complete contains continue count disown echo else emit end eval exec exit false fg for
function functions history if jobs math not or path printf pwd random read realpath return set
set_color source status string switch test time true type ulimit wait while"""
_POWERSHELL = """begin break catch class clean continue data define do dynamicparam else elseif end
enum exit filter finally for foreach from function hidden if in param process return static switch
throw trap try until using var while workflow ? % ac cat cd chdir clc clear clhy cli clp cls clv
cnsn compare copy cp cpi cpp cvpa dbp del diff dir dnsn ebp echo epal epcsv erase etsn exsn fc fhx
fl ft fw gal gbp gc gci gcm gcs gdr ghy gi gin gjb gl gm gmo gp gps gpv group gsn gsv gu gv gwmi h
history icm iex ihy ii ipal ipcsv ipmo irm ise iwmi iwr kill lp ls man md measure mi mount move mp
mv nal ndr ni nmo npssc nsn nv ogv oh popd ps pushd pwd r rbp rcjb rcsn rd rdr ren ri rjb rm rmdir
rmo rni rnp rp rsn rv rvpa rwmi sajb sal saps sasv sbp sc scb select set shcm si sl sleep sls sort
sp spjb spps spsv start stz sujb sv swmi tee trcm type wget where wjb write"""
BUILTINS: Mapping[Shell, frozenset[str]] = {
    "bash": frozenset(_BASH.split()),
    "zsh": frozenset(_ZSH.split()),
    "fish": frozenset(_FISH.split()),
    "powershell": frozenset(_POWERSHELL.split()),
}
