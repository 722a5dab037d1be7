/// Tarjan's algorithm, iterative, over nodes `0..<nodeCount`.
enum StronglyConnectedComponents {
    /// A component number for every node; nodes share one exactly when they reach each other.
    static func label(nodeCount: Int, edges: [[Int]]) -> [Int] {
        var state = TarjanState(nodeCount: nodeCount)
        for node in 0..<nodeCount where state.index[node] == nil {
            state.visit(node, edges: edges)
        }
        return state.component
    }

    private struct TarjanState {
        var index: [Int?]
        var lowLink: [Int]
        var onStack: [Bool]
        var stack: [Int] = []
        var component: [Int]
        var nextIndex = 0
        var nextComponent = 0

        init(nodeCount: Int) {
            index = Array(repeating: nil, count: nodeCount)
            lowLink = Array(repeating: 0, count: nodeCount)
            onStack = Array(repeating: false, count: nodeCount)
            component = Array(repeating: -1, count: nodeCount)
        }

        /// Depth-first from `root` with an explicit stack of (node, next edge to follow).
        mutating func visit(_ root: Int, edges: [[Int]]) {
            var work: [(node: Int, edge: Int)] = [(root, 0)]
            enter(root)
            while let (node, edge) = work.last {
                if edge < edges[node].count {
                    work[work.count - 1].edge += 1
                    let next = edges[node][edge]
                    if index[next] == nil {
                        enter(next)
                        work.append((next, 0))
                    } else if onStack[next] {
                        lowLink[node] = min(lowLink[node], index[next]!)
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last?.node { lowLink[parent] = min(lowLink[parent], lowLink[node]) }
                if lowLink[node] == index[node]! { closeComponent(at: node) }
            }
        }

        private mutating func enter(_ node: Int) {
            index[node] = nextIndex
            lowLink[node] = nextIndex
            nextIndex += 1
            stack.append(node)
            onStack[node] = true
        }

        private mutating func closeComponent(at node: Int) {
            while let member = stack.popLast() {
                onStack[member] = false
                component[member] = nextComponent
                if member == node { break }
            }
            nextComponent += 1
        }
    }
}
