# fish completion for ssectl. Install as
# /usr/share/fish/vendor_completions.d/ssectl.fish, or
#   ssectl completion fish > ~/.config/fish/completions/ssectl.fish
# Each "# command:" block lists that command's options; a test walks ssectl's
# CLI11 app and fails when an option is missing here.

# The subcommand words typed so far, skipping options and their values; it
# stops at `--` (after `ssectl wait ... --` comes the command to run).
function __ssectl_path
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l path
    set -l skip 0
    for t in $tokens
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $t
            case --server --token --token-file --config -o --output --timeout --color --title --message --type --user --entity-type --entity-id --action --data --room --starts-at --duration --retry --event --match --count --last-event-id --connect-timeout --user-id --username --email --roles --secret-file --private-key --public-key --ttl --stream --wait
                set skip 1
            case --
                break
            case '-*'
            case '*'
                set -a path $t
        end
    end
    string join ' ' -- $path
end

# True when the words typed so far are exactly $argv (no more).
function __ssectl_needs
    set -l path (__ssectl_path)
    test "$path" = "$argv"
end

# True when the words typed so far start with $argv.
function __ssectl_at
    set -l path (__ssectl_path)
    string match -q -- "$argv*" "$path"
end

# How many words follow `--` on the command line; false when there is no `--`.
function __ssectl_after_dashes
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l at (contains -i -- -- $tokens); or return 1
    math (count $tokens) - $at
end

# wait before its `--`, where ssectl's own options apply.
function __ssectl_waiting
    __ssectl_at wait; and not __ssectl_after_dashes >/dev/null
end

# wait, right after `--`: the command to run.
function __ssectl_wait_command
    __ssectl_at wait; and set -l n (__ssectl_after_dashes); and test "$n" = 0
end

# wait, after `-- COMMAND`: its arguments.
function __ssectl_wait_command_args
    __ssectl_at wait; and set -l n (__ssectl_after_dashes); and test $n -gt 0
end

# Items of a comma-separated list: the current word's part up to its last comma, then each of $argv.
function __ssectl_comma_list
    set -l prefix (string replace -r '[^,]*$' '' -- (commandline -ct))
    for item in $argv
        echo $prefix$item
    end
end

# The stream names, for STREAM[,STREAM...].
function __ssectl_streams
    __ssectl_comma_list notifications realtime chat status
end

# The event names, for --event TYPE[,TYPE...].
function __ssectl_events
    __ssectl_comma_list notification system-notification error-notification create update delete status-change message user-joined user-left typing status heartbeat maintenance
end

complete -c ssectl -f

# command: ssectl
complete -c ssectl -l server -r -d 'sse-server URL'
complete -c ssectl -l token -r -d 'bearer token, or - to read it from stdin'
complete -c ssectl -l token-file -r -F -d 'read the token from a file'
complete -c ssectl -l config -r -F -d 'config file instead of ~/.config/ssectl/config.toml'
complete -c ssectl -s o -l output -x -a 'text json raw' -d 'output format'
complete -c ssectl -l timeout -x -d 'request timeout, or how long tail and wait may run'
complete -c ssectl -s q -l quiet -d 'no notices or warnings on stderr'
complete -c ssectl -s v -l verbose -d 'trace requests on stderr'
complete -c ssectl -l color -x -a 'auto always never' -d 'when to use colour'
complete -c ssectl -s h -l help -d 'show help'
complete -c ssectl -l version -d 'print the version'
complete -c ssectl -n '__ssectl_needs ""' -a send -d 'publish an event'
complete -c ssectl -n '__ssectl_needs ""' -a tail -d 'follow streams and print their events'
complete -c ssectl -n '__ssectl_needs ""' -a wait -d 'wait for an event (and a command), for CI'
complete -c ssectl -n '__ssectl_needs ""' -a token -d 'make or inspect tokens'
complete -c ssectl -n '__ssectl_needs ""' -a connections -d 'list or close open streams (admin)'
complete -c ssectl -n '__ssectl_needs ""' -a status -d 'show health, readiness and the status snapshot'
complete -c ssectl -n '__ssectl_needs ""' -a completion -d 'print a shell completion script'
complete -c ssectl -n '__ssectl_needs ""' -a help -d 'show the help of ssectl or a command'

# command: ssectl send
complete -c ssectl -n '__ssectl_needs send' -a notification -d 'send a notification'
complete -c ssectl -n '__ssectl_needs send' -a update -d 'publish a realtime update'
complete -c ssectl -n '__ssectl_needs send' -a chat -d 'send a chat message'
complete -c ssectl -n '__ssectl_needs send' -a typing -d 'say you are typing in a room'
complete -c ssectl -n '__ssectl_needs send' -a maintenance -d 'announce maintenance (admin)'

# command: ssectl send notification
complete -c ssectl -n '__ssectl_at send notification' -l title -x -d 'title'
complete -c ssectl -n '__ssectl_at send notification' -l message -x -d 'text, or @FILE'
complete -c ssectl -n '__ssectl_at send notification' -l type -x -a 'info success warning error system' -d 'kind'
complete -c ssectl -n '__ssectl_at send notification' -l user -x -d 'recipient user id'
complete -c ssectl -n '__ssectl_at send notification' -l stdin-lines -d 'one event per NDJSON line of stdin'
complete -c ssectl -n '__ssectl_at send notification' -l retry -x -d 'retry 429, 503 and unreachable up to N more times'

# command: ssectl send update
complete -c ssectl -n '__ssectl_at send update' -l entity-type -x -d 'entity type'
complete -c ssectl -n '__ssectl_at send update' -l entity-id -x -d 'entity id'
complete -c ssectl -n '__ssectl_at send update' -l action -x -a 'create update delete status-change' -d 'action'
complete -c ssectl -n '__ssectl_at send update' -l data -r -d 'payload: JSON, @FILE or -'
complete -c ssectl -n '__ssectl_at send update' -l stdin-lines -d 'one event per NDJSON line of stdin'
complete -c ssectl -n '__ssectl_at send update' -l retry -x -d 'retry 429, 503 and unreachable up to N more times'

# command: ssectl send chat
complete -c ssectl -n '__ssectl_at send chat' -l room -x -d 'room'
complete -c ssectl -n '__ssectl_at send chat' -l message -x -d 'the message, or @FILE'
complete -c ssectl -n '__ssectl_at send chat' -l stdin-lines -d 'one event per NDJSON line of stdin'
complete -c ssectl -n '__ssectl_at send chat' -l retry -x -d 'retry 429, 503 and unreachable up to N more times'

# command: ssectl send typing
complete -c ssectl -n '__ssectl_at send typing' -l room -x -d 'room'
complete -c ssectl -n '__ssectl_at send typing' -l stdin-lines -d 'one event per NDJSON line of stdin'
complete -c ssectl -n '__ssectl_at send typing' -l retry -x -d 'retry 429, 503 and unreachable up to N more times'

# command: ssectl send maintenance
complete -c ssectl -n '__ssectl_at send maintenance' -l message -x -d 'announcement'
complete -c ssectl -n '__ssectl_at send maintenance' -l starts-at -x -d 'start time, ISO-8601'
complete -c ssectl -n '__ssectl_at send maintenance' -l duration -x -d 'expected length, e.g. 30m'
complete -c ssectl -n '__ssectl_at send maintenance' -l stdin-lines -d 'one event per NDJSON line of stdin'
complete -c ssectl -n '__ssectl_at send maintenance' -l retry -x -d 'retry 429, 503 and unreachable up to N more times'

# command: ssectl tail
complete -c ssectl -n '__ssectl_needs tail' -a '(__ssectl_streams)' -d 'stream'
complete -c ssectl -n '__ssectl_at tail' -l room -x -d 'chat: only this room'
complete -c ssectl -n '__ssectl_at tail' -l entity-type -x -d 'realtime: only this entity type'
complete -c ssectl -n '__ssectl_at tail' -l event -x -a '(__ssectl_events)' -d 'only events of this type'
complete -c ssectl -n '__ssectl_at tail' -l match -x -d 'only events whose data has VALUE at the dotted KEY'
complete -c ssectl -n '__ssectl_at tail' -l count -x -d 'exit after N events'
complete -c ssectl -n '__ssectl_at tail' -l last-event-id -x -d 'resume after this event id'
complete -c ssectl -n '__ssectl_at tail' -l no-follow -d 'only the replay after --last-event-id, then exit'
complete -c ssectl -n '__ssectl_at tail' -l no-reconnect -d 'stop when the stream ends'
complete -c ssectl -n '__ssectl_at tail' -l connect-timeout -x -d 'how long one connection attempt may take'

# command: ssectl wait
complete -c ssectl -n '__ssectl_needs wait' -a '(__ssectl_streams)' -d 'stream'
complete -c ssectl -n '__ssectl_waiting' -l room -x -d 'chat: only this room'
complete -c ssectl -n '__ssectl_waiting' -l entity-type -x -d 'realtime: only this entity type'
complete -c ssectl -n '__ssectl_waiting' -l event -x -a '(__ssectl_events)' -d 'only events of this type'
complete -c ssectl -n '__ssectl_waiting' -l match -x -d 'only events whose data has VALUE at the dotted KEY'
complete -c ssectl -n '__ssectl_waiting' -l count -x -d 'wait for N events'
complete -c ssectl -n '__ssectl_waiting' -l last-event-id -x -d 'resume after this event id'
complete -c ssectl -n '__ssectl_waiting' -l no-follow -d 'only the replay after --last-event-id, then exit'
complete -c ssectl -n '__ssectl_waiting' -l no-reconnect -d 'stop when the stream ends'
complete -c ssectl -n '__ssectl_waiting' -l connect-timeout -x -d 'how long one connection attempt may take'
complete -c ssectl -n '__ssectl_wait_command' -a '(__fish_complete_command)' -d 'command to run'
complete -c ssectl -n '__ssectl_wait_command_args' -F

# command: ssectl token
complete -c ssectl -n '__ssectl_needs token' -a demo -d 'print a demo token'
complete -c ssectl -n '__ssectl_needs token' -a jwt -d 'print a signed JWT'
complete -c ssectl -n '__ssectl_needs token' -a inspect -d 'decode and verify a token'

# command: ssectl token demo
complete -c ssectl -n '__ssectl_at token demo' -l user-id -x -d 'user id'
complete -c ssectl -n '__ssectl_at token demo' -l username -x -d 'user name'
complete -c ssectl -n '__ssectl_at token demo' -l email -x -d 'email address'
complete -c ssectl -n '__ssectl_at token demo' -l roles -x -a 'user admin user,admin' -d 'roles, comma-separated'

# command: ssectl token jwt
complete -c ssectl -n '__ssectl_at token jwt' -l secret-file -r -F -d 'HS256 secret file'
complete -c ssectl -n '__ssectl_at token jwt' -l private-key -r -F -d 'RS256 private key (PEM)'
complete -c ssectl -n '__ssectl_at token jwt' -l user-id -x -d 'user id'
complete -c ssectl -n '__ssectl_at token jwt' -l username -x -d 'user name'
complete -c ssectl -n '__ssectl_at token jwt' -l email -x -d 'email address'
complete -c ssectl -n '__ssectl_at token jwt' -l roles -x -a 'user admin user,admin' -d 'roles, comma-separated'
complete -c ssectl -n '__ssectl_at token jwt' -l ttl -x -d 'lifetime, e.g. 1h'

# command: ssectl token inspect
complete -c ssectl -n '__ssectl_at token inspect' -l secret-file -r -F -d 'verify with this HS256 secret'
complete -c ssectl -n '__ssectl_at token inspect' -l public-key -r -F -d 'verify with this RS256 public key'

# command: ssectl connections
complete -c ssectl -n '__ssectl_needs connections' -a list -d 'list open streams'
complete -c ssectl -n '__ssectl_needs connections' -a kick -d 'close one stream'

# command: ssectl connections list
complete -c ssectl -n '__ssectl_at connections list' -l user -x -d 'only this user'
complete -c ssectl -n '__ssectl_at connections list' -l stream -x -a 'notifications realtime chat status' -d 'only this stream'

# command: ssectl connections kick

# command: ssectl status
complete -c ssectl -n '__ssectl_at status' -l wait -x -d 'first wait up to DUR for readiness'

# command: ssectl completion
complete -c ssectl -n '__ssectl_needs completion' -a 'bash zsh fish' -d 'shell'

# command: ssectl help
complete -c ssectl -n '__ssectl_needs help' -a 'send tail wait token connections status completion help' -d 'command'
complete -c ssectl -n '__ssectl_needs help send' -a 'notification update chat typing maintenance' -d 'send kind'
complete -c ssectl -n '__ssectl_needs help token' -a 'demo jwt inspect' -d 'token action'
complete -c ssectl -n '__ssectl_needs help connections' -a 'list kick' -d 'connections action'

# end of commands
