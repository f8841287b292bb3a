// GraphiQL on this server's /graphql: queries and mutations over HTTP POST,
// subscriptions over a WebSocket on the same path (graphql-transport-ws).
const endpoint = new URL('/graphql', location.href);
const socket = new URL(endpoint);
socket.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';

const fetcher = GraphiQL.createFetcher({ url: endpoint.href, subscriptionUrl: socket.href });

const defaultQuery = `# civicmap: the grassroots CPPCC platforms of Sanming.
# Writes need an API key: add {"Authorization": "Bearer …"} under Headers.
{
  coverage(kinds: [WORKSTATION], radiusMetres: 5000) {
    definition
    totals { covered uncovered unknownPosition ratio }
  }
  uncoveredTownships(kinds: [WORKSTATION], radiusMetres: 5000, first: 5) {
    nodes { township { name county { name } } nearest { distanceMetres platform { name } } }
  }
}
`;

ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, { fetcher, defaultQuery }),
);
