# Asks zsh for the completions of a command line, as a user's Tab would: an interactive
# zsh on a pseudo-terminal (zsh/zpty) loads compinit and the script under test, the line
# is typed with a Tab, and a stand-in `compadd` prints each candidate between two lines
# holding a NUL. Usage: zsh -f capture.zsh SCRIPT 'caro-install update --'
zmodload zsh/zpty || { print -u2 'zsh/zpty is missing'; exit 3 }
zpty z zsh -f -i
local line
zpty -w z "source ${(q)0:A:h}/setup.zsh; source ${(q)1}; print ok"
repeat 50; do
    zpty -r z line
    [[ $line == ok* ]] && break
done
[[ $line == ok* ]] || { print -u2 'the interactive zsh did not start'; exit 2 }
zpty -w z "$2"$'\t'
integer seen=0
while zpty -r z line; do
    if [[ $line == *$'\0'* ]]; then
        (( seen++ )) && exit 0 || continue
    fi
    (( seen )) && print -r -- ${line%$'\r'}
done
exit 2
