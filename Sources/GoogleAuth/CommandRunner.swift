import FoundationEssentials
import Glibc

/// Runs a helper program as an argv (no shell, no variable expansion) with a timeout, capturing
/// its output: SecureConnect's `cert_provider_command`.
enum CommandRunner {
    struct Output {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    /// Runs `argv`, found on `PATH` like Python's `subprocess` does, and waits at most `timeout`;
    /// a command still running then is killed. Output is capped at 1 MiB per stream.
    static func run(_ argv: [String], timeout: Duration) throws -> Output {
        guard let program = argv.first, !program.isEmpty else {
            throw GoogleAuthError(.certificateProvider, "the certificate provider command is empty")
        }
        let (outRead, outWrite) = try pipePair()
        let (errRead, errWrite) = try pipePair()
        defer { close(outRead); close(errRead) }
        let pid: pid_t
        do {
            defer { close(outWrite); close(errWrite) }
            pid = try spawn(argv, stdout: outWrite, stderr: errWrite)
        }
        var output = Output(status: -1, stdout: [], stderr: [])
        let finished = collect(&output, from: [outRead, errRead], until: ContinuousClock.now + timeout)
        if !finished { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard finished else {
            throw GoogleAuthError(.certificateProvider, "the certificate provider command \(program) did not finish "
                                  + "within \(timeout) and was stopped")
        }
        output.status = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return output
    }

    private static func pipePair() throws -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw GoogleAuthError(.certificateProvider, "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }   // the child gets its ends by dup2 only
        return (fds[0], fds[1])
    }

    private static func spawn(_ argv: [String], stdout: Int32, stderr: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, argv[0], &actions, nil, cArguments, environ)
        guard result == 0 else {
            throw GoogleAuthError(.certificateProvider, "cannot run the certificate provider command \(argv[0]): "
                                  + "\(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Reads both pipes until both close; false if the deadline passed first.
    private static func collect(_ output: inout Output, from fds: [Int32], until deadline: ContinuousClock.Instant) -> Bool {
        var open = fds
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return false }
            var polls = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let milliseconds = Int32(min(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1, 60_000))
            let ready = poll(&polls, nfds_t(polls.count), milliseconds)
            if ready < 0 && errno == EINTR { continue }
            guard ready >= 0 else { return false }
            for entry in polls where entry.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { open.removeAll { $0 == entry.fd }; continue }
                if entry.fd == fds[0] {
                    if output.stdout.count < 1 << 20 { output.stdout += buffer.prefix(count) }
                } else if output.stderr.count < 1 << 20 {
                    output.stderr += buffer.prefix(count)
                }
            }
        }
        return true
    }
}
