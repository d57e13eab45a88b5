# memtrack.bash - bash completion for memtrack: its commands, each command's
# options, and the values they take (report's formats, the gate's kinds, the
# leak kinds and heuristics, ...), then trace files.  After `memtrack run`'s
# program, the program's own words complete as file names.
#
# Installed as PREFIX/share/bash-completion/completions/memtrack, where
# bash-completion loads it when memtrack is first completed; or source it.
# It needs nothing from bash-completion itself.  The option lists are checked
# against each command's --help by the test install.bash_completion.

# The words an option's value can be, one list per option.
_memtrack_values()
{
    case $1 in
        --format) echo "text json folded speedscope massif" ;;
        --metric) echo "allocations bytes leaked peak temporary" ;;
        --show-leak-kinds) echo "all none definite indirect possible reachable unclassified" ;;
        --leak-resolution) echo "low med high" ;;
        --leak-records) echo "all" ;;
        --fail-on)
            echo "definite indirect possible reachable unclassified double-free invalid-free mismatch untraced" \
                 "leaks errors all none" ;;
        --on-error) echo "continue abort" ;;
        --unwinder) echo "fast libunwind" ;;
        --leak-check-heuristics) echo "all none stdstring length64 newarray multipleinheritance" ;;
    esac
}

# The options of COMMAND ($1) that take a value, then (after a '|') those that do not.
_memtrack_options()
{
    case $1 in
        run)
            echo "-o --output --depth --free-depth --on-error --temporary-window --quarantine --unwinder" \
                 "--leak-check-heuristics --fail-on --error-exitcode" \
                 "| -f --force --no-follow --no-symbol-cache -q --quiet -h --help" ;;
        report)
            echo "--format --metric --pid --exe --show-leak-kinds --num-callers --top --leak-resolution" \
                 "--leak-records" \
                 "| --show-below-main -h --help" ;;
        check)
            echo "--fail-on --suppressions --max-leaked-bytes --baseline --junit --sarif" \
                 "| --no-default-suppressions --print-default-suppressions --github --show-below-main -h --help" ;;
        diff) echo "--top | -h --help" ;;
        view) echo "-o --output | --open --show-below-main --full -h --help" ;;
    esac
}

# Sets COMPREPLY to the value of OPTION ($1) completed from CURRENT ($2):
# words from its list (the last of a comma list, for the lists that take
# several), file names for a file, nothing for a number.
_memtrack_complete_value()
{
    local option=$1 current=$2 words
    words=$(_memtrack_values "$option")
    if [[ -z $words ]]; then
        case $option in
            -o | --output | --suppressions | --baseline | --junit | --sarif | --exe)
                COMPREPLY=($(compgen -f -- "$current")) ;;
        esac
        return
    fi
    local before=""
    case $option in
        --show-leak-kinds | --fail-on | --leak-check-heuristics)
            [[ $current == *,* ]] && before=${current%,*},
            current=${current##*,} ;;
    esac
    COMPREPLY=($(compgen -P "$before" -W "$words" -- "$current"))
}

# The completion function: `complete -F _memtrack memtrack`.
_memtrack()
{
    local current=${COMP_WORDS[COMP_CWORD]} previous=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()
    if ((COMP_CWORD == 1)); then
        COMPREPLY=($(compgen -W "run report check diff view help -h --help --version" -- "$current"))
        return
    fi
    local command=${COMP_WORDS[1]}
    if [[ $command == help ]]; then
        ((COMP_CWORD == 2)) && COMPREPLY=($(compgen -W "run report check diff view" -- "$current"))
        return
    fi
    local options
    options=$(_memtrack_options "$command")
    [[ -z $options ]] && return
    local valued=" ${options%%|*} " all="${options/|/}"

    # Where run's program starts: the first word that is neither an option nor an option's value.
    local i program=0
    for ((i = 2; i < COMP_CWORD; i++)); do
        local word=${COMP_WORDS[i]}
        if [[ $word == -- ]]; then
            program=$((i + 1))
            break
        elif [[ $word == = ]]; then
            ((i++))
        elif [[ $word == -* ]]; then
            [[ $word != *=* && $valued == *" $word "* && ${COMP_WORDS[i + 1]} != = ]] && ((i++))
        elif [[ $command == run ]]; then
            program=$i
            break
        fi
    done
    if ((program > 0 && COMP_CWORD > program)); then
        COMPREPLY=($(compgen -f -- "$current"))
        return
    fi
    if ((program > 0 && COMP_CWORD == program)); then
        COMPREPLY=($(compgen -c -- "$current"))
        return
    fi

    # An option's value: "--opt VALUE", "--opt=VALUE" split at '=' by bash, or kept whole.
    if [[ $current == = && $valued == *" $previous "* ]]; then
        _memtrack_complete_value "$previous" ""
        return
    fi
    if [[ $previous == = && $valued == *" ${COMP_WORDS[COMP_CWORD - 2]} "* ]]; then
        _memtrack_complete_value "${COMP_WORDS[COMP_CWORD - 2]}" "$current"
        return
    fi
    if [[ $current == --*=* && $valued == *" ${current%%=*} "* ]]; then
        _memtrack_complete_value "${current%%=*}" "${current#*=}"
        local i
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]=${current%%=*}=${COMPREPLY[i]}
        done
        return
    fi
    if [[ $valued == *" $previous "* ]]; then
        _memtrack_complete_value "$previous" "$current"
        return
    fi
    if [[ $current == -* ]]; then
        COMPREPLY=($(compgen -W "$all" -- "$current"))
        return
    fi
    if [[ $command == run ]]; then
        COMPREPLY=($(compgen -c -- "$current"))
    else
        COMPREPLY=($(compgen -f -- "$current"))
    fi
}

complete -F _memtrack -o bashdefault -o default memtrack
