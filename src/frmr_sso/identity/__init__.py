"""Who a person is across the broker: identifiers shared by login, upstreams, audit and the registry."""
