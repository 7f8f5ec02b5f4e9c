namespace CourseNotebooks.Course.Embeddings;

/// <summary>
/// A point-region quadtree over a 2-D embedding for the Barnes-Hut approximation of t-SNE's repulsive forces:
/// every cell stores how many points it holds and their centre of mass, so a far cell acts as one heavy point.
/// </summary>
/// <remarks>Built top-down by partitioning an index array, so the tree (and every force sum) is the same on every
/// run. Cells stop splitting at one point or at depth 48; a deeper leaf holds (near-)duplicates, which are
/// visited one by one.</remarks>
internal sealed class QuadTree
{
    private const int MaxDepth = 48;

    private struct Node
    {
        public double CenterX, CenterY, HalfWidth, MassX, MassY;
        public int Count, FirstChild, Start;
    }

    private Node[] _nodes = new Node[64];
    private int _nodeCount;
    private int[] _order = [];
    private int[] _scratch = [];
    private double[] _y = [];

    /// <summary>Rebuilds the tree for the points y [N, 2] (row-major); the buffers are reused across iterations.</summary>
    public void Build(double[] y, int n)
    {
        _y = y;
        if (_order.Length != n) { _order = new int[n]; _scratch = new int[n]; }
        for (int i = 0; i < n; i++) _order[i] = i;
        double minX = double.PositiveInfinity, minY = double.PositiveInfinity;
        double maxX = double.NegativeInfinity, maxY = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            minX = Math.Min(minX, y[2 * i]); maxX = Math.Max(maxX, y[2 * i]);
            minY = Math.Min(minY, y[2 * i + 1]); maxY = Math.Max(maxY, y[2 * i + 1]);
        }
        // A square root cell slightly larger than the bounding box, so boundary points fall strictly inside.
        double half = Math.Max(maxX - minX, maxY - minY) / 2 * (1 + 1e-6) + 1e-12;
        _nodeCount = 1;
        BuildNode(0, 0, n, (minX + maxX) / 2, (minY + maxY) / 2, half, 0);
    }

    private void BuildNode(int node, int start, int count, double cx, double cy, double half, int depth)
    {
        double mx = 0, my = 0;
        for (int e = start; e < start + count; e++) { mx += _y[2 * _order[e]]; my += _y[2 * _order[e] + 1]; }
        _nodes[node] = new Node
        {
            CenterX = cx, CenterY = cy, HalfWidth = half, Count = count, Start = start, FirstChild = -1,
            MassX = count > 0 ? mx / count : 0, MassY = count > 0 ? my / count : 0,
        };
        if (count <= 1 || depth >= MaxDepth) return;

        // Counting sort of this cell's points into quadrants q = (x >= cx) + 2 (y >= cy).
        Span<int> quadrantCount = stackalloc int[4];
        for (int e = start; e < start + count; e++) quadrantCount[Quadrant(_order[e], cx, cy)]++;
        Span<int> offset = stackalloc int[4];
        offset[0] = start;
        for (int q = 1; q < 4; q++) offset[q] = offset[q - 1] + quadrantCount[q - 1];
        Span<int> put = stackalloc int[4];
        offset.CopyTo(put);
        for (int e = start; e < start + count; e++) { int i = _order[e]; _scratch[put[Quadrant(i, cx, cy)]++] = i; }
        Array.Copy(_scratch, start, _order, start, count);

        int first = _nodeCount;
        _nodeCount += 4;
        if (_nodeCount > _nodes.Length) Array.Resize(ref _nodes, Math.Max(_nodeCount, 2 * _nodes.Length));
        _nodes[node].FirstChild = first;
        double h = half / 2;
        for (int q = 0; q < 4; q++)
            BuildNode(first + q, offset[q], quadrantCount[q], cx + ((q & 1) != 0 ? h : -h), cy + ((q & 2) != 0 ? h : -h), h, depth + 1);
    }

    private int Quadrant(int i, double cx, double cy) => (_y[2 * i] >= cx ? 1 : 0) + (_y[2 * i + 1] >= cy ? 2 : 0);

    /// <summary>
    /// For point <paramref name="i"/>: z = sum_{j != i} q_ij and f = sum_{j != i} q_ij^2 (y_i - y_j), with
    /// q_ij = 1 / (1 + |y_i - y_j|^2), where a cell of side w at distance r from y_i is summarised by its centre of
    /// mass when w / r &lt; theta (theta = 0: exact). A cell that contains y_i is always opened, so a point never
    /// repels itself, whatever theta.
    /// </summary>
    public void Repulsion(int i, double thetaSquared, Span<int> stack, out double fx, out double fy, out double z)
    {
        double yx = _y[2 * i], yy = _y[2 * i + 1];
        fx = 0; fy = 0; z = 0;
        int top = 0;
        stack[top++] = 0;
        while (top > 0)
        {
            ref readonly Node node = ref _nodes[stack[--top]];
            if (node.Count == 0) continue;
            if (node.FirstChild < 0)
            {
                for (int e = node.Start; e < node.Start + node.Count; e++)
                {
                    int j = _order[e];
                    if (j == i) continue;
                    double dx = yx - _y[2 * j], dy = yy - _y[2 * j + 1];
                    double q = 1 / (1 + dx * dx + dy * dy);
                    z += q;
                    fx += q * q * dx; fy += q * q * dy;
                }
                continue;
            }
            double mdx = yx - node.MassX, mdy = yy - node.MassY;
            double d2 = mdx * mdx + mdy * mdy;
            double width = 2 * node.HalfWidth;
            bool containsI = Math.Abs(yx - node.CenterX) <= node.HalfWidth && Math.Abs(yy - node.CenterY) <= node.HalfWidth;
            if (!containsI && width * width < thetaSquared * d2)
            {
                double q = 1 / (1 + d2);
                z += node.Count * q;
                double w = node.Count * q * q;
                fx += w * mdx; fy += w * mdy;
            }
            else
                for (int c = 0; c < 4; c++) stack[top++] = node.FirstChild + c;
        }
    }

    /// <summary>Stack size that suffices for any traversal: 3 pending siblings per level plus the root.</summary>
    public static int StackSize => 3 * (MaxDepth + 1) + 4;
}
