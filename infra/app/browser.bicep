// The headless browser of `render: true` sources, for the Function App (whose plan has no Chromium): a Container App
// running the Playwright server image, in an internal Container Apps environment on a private virtual network. Its
// ingress has no public address; the Function App reaches it through VNet integration, and the ingress admits only
// the Function App's subnet. The server needs no internet of its own: every request its pages make is fulfilled by
// the Function App through its address guard (see docs), and its contexts point their proxy at a closed local port.
param location string
param tags object
param vnetName string
param environmentName string
param appName string

@description('Playwright version of the server image; must match the Microsoft.Playwright package of the app (1.64.1).')
param playwrightVersion string = '1.64.1'

@description('Address space of the virtual network, and its two subnets: the Function App (VNet integration) and the Container Apps environment.')
param addressPrefix string = '10.20.0.0/16'
param functionsSubnetPrefix string = '10.20.1.0/24'
param browserSubnetPrefix string = '10.20.2.0/23'

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: vnetName
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: [addressPrefix] }
    subnets: [
      {
        // Flex Consumption VNet integration: a subnet delegated to Microsoft.App/environments
        name: 'functions'
        properties: {
          addressPrefix: functionsSubnetPrefix
          delegations: [{ name: 'flex', properties: { serviceName: 'Microsoft.App/environments' } }]
        }
      }
      {
        name: 'browser'
        properties: {
          addressPrefix: browserSubnetPrefix
          delegations: [{ name: 'containerapps', properties: { serviceName: 'Microsoft.App/environments' } }]
        }
      }
    ]
  }
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    vnetConfiguration: {
      infrastructureSubnetId: vnet.properties.subnets[1].id
      internal: true // no public endpoint: reachable only from the virtual network
    }
    workloadProfiles: [{ name: 'Consumption', workloadProfileType: 'Consumption' }]
  }
}

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: appName
  location: location
  tags: tags
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: {
      ingress: {
        external: true // in an internal environment: exposed to the virtual network, not to the internet
        targetPort: 3000
        transport: 'http'
        allowInsecure: false
        ipSecurityRestrictions: [
          { name: 'function-app-only', action: 'Allow', ipAddressRange: functionsSubnetPrefix, description: 'the Function App (VNet integration subnet)' }
        ]
      }
    }
    template: {
      containers: [
        {
          name: 'playwright'
          image: 'mcr.microsoft.com/playwright:v${playwrightVersion}-noble'
          command: ['/bin/sh', '-c']
          args: ['cd /home/pwuser && npx -y playwright@${playwrightVersion} run-server --port 3000 --host 0.0.0.0']
          resources: { cpu: json('1.0'), memory: '2Gi' }
        }
      ]
      scale: { minReplicas: 0, maxReplicas: 3 }
    }
  }
}

// the environment's default domain resolves, inside the virtual network, to its internal load balancer
module dns 'browserdns.bicep' = {
  name: 'browser-dns'
  params: {
    zoneName: environment.properties.defaultDomain
    staticIp: environment.properties.staticIp
    vnetId: vnet.id
    tags: tags
  }
}

output functionsSubnetId string = vnet.properties.subnets[0].id
output endpoint string = 'wss://${app.properties.configuration.ingress.fqdn}/'
